/** Output of the suite: one JSON line per case with `--json`, a table otherwise. */

/** One benchmark result. Figures beyond the named ones are printed as they are. */
export interface BenchResult {
  bench: string;
  ops_per_s?: number;
  baseline_ops_per_s?: number;
  ratio?: number;
  p50_ms?: number;
  p99_ms?: number;
  ms?: number;
  bytes_per_event?: number;
  /** The target in words, such as `>= 10x baseline`. */
  target: string;
  met: boolean;
  [figure: string]: unknown;
}

const COLUMNS: [keyof BenchResult, string, number][] = [
  ['bench', 'bench', 26],
  ['ops_per_s', 'ops/s', 11],
  ['baseline_ops_per_s', 'baseline/s', 11],
  ['ratio', 'ratio', 7],
  ['p50_ms', 'p50 ms', 8],
  ['p99_ms', 'p99 ms', 8],
  ['ms', 'ms', 7],
  ['bytes_per_event', 'B/event', 8],
  ['target', 'target', 20],
  ['met', 'met', 7],
];

export class Reporter {
  private headerDone = false;

  constructor(private readonly json: boolean) {}

  print(r: BenchResult): void {
    if (this.json) {
      console.log(JSON.stringify(r));
      return;
    }
    if (!this.headerDone) {
      console.log(COLUMNS.map(([, title, width]) => title.padEnd(width)).join(' '));
      this.headerDone = true;
    }
    const cells = COLUMNS.map(([key, , width]) => cell(r[key]).padEnd(width));
    const named = new Set<string>(COLUMNS.map(([key]) => key as string));
    const extra = Object.entries(r)
      .filter(([key]) => !named.has(key))
      .map(([key, value]) => `${key}=${cell(value)}`);
    console.log([...cells, ...extra].join(' '));
  }
}

function cell(value: unknown): string {
  if (value === undefined) return '-';
  if (value === true) return 'met';
  if (value === false) return 'MISSED';
  if (typeof value === 'number') return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Progress for the reader of a long run; stderr keeps `--json` output clean. */
export function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}
