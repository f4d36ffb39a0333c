/** One benchmark result; printed as a JSON line with `--json`, as a table row otherwise. */
export interface BenchResult {
  bench: string;
  ops_per_s?: number;
  baseline_ops_per_s?: number;
  ratio?: number;
  target?: string;
  met?: boolean;
  [figure: string]: unknown;
}

export function printResult(r: BenchResult, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(r));
    return;
  }
  const { bench, target, met, ...figures } = r;
  const shown = Object.entries(figures)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? round(v) : v}`)
    .join('  ');
  console.log(`${bench.padEnd(28)} ${shown}${target ? `  target ${target}: ${met ? 'met' : 'MISSED'}` : ''}`);
}

export const round = (n: number): number => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100);

/** Percentile of sorted-in-place samples. */
export function percentile(samples: number[], p: number): number {
  samples.sort((a, b) => a - b);
  return samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))];
}

/** Runs `op` repeatedly for about `ms` and returns operations per second (op returns how many it did). */
export async function rate(ms: number, op: () => number | Promise<number>): Promise<number> {
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < ms) done += await op();
  return done / ((performance.now() - start) / 1000);
}

export function rateSync(ms: number, op: () => number): number {
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < ms) done += op();
  return done / ((performance.now() - start) / 1000);
}
