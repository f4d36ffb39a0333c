/** Measuring helpers: rates in alternating rounds against a baseline, latency percentiles, GC. */
import { setImmediate as nextTurn } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';

/** Works for about `ms` and returns how many operations it did. */
export type Workload = (ms: number) => Promise<number>;

export interface RatePlan {
  warmupMs: number;
  roundMs: number;
  rounds: number;
  /** Called after the warm-up, to drop what it recorded. */
  onWarm?: () => void;
}

export const DEFAULT_PLAN: RatePlan = { warmupMs: 1500, roundMs: 1000, rounds: 5 };

// A service turns its event loop often; so does the loop, so timers (the journal's cadence fsync) run.
const TURN_EVERY_MS = 10;

/** Repeats a synchronous operation (returning how many operations it did) as a workload. */
export function loop(op: () => number): Workload {
  return async (ms) => {
    let done = 0;
    const start = performance.now();
    let turned = start;
    for (let now = start; now - start < ms; now = performance.now()) {
      done += op();
      if (now - turned >= TURN_EVERY_MS) {
        await nextTurn();
        turned = performance.now();
      }
    }
    return done;
  };
}

/**
 * `n` async producers, each awaiting `op` before starting the next, until the round's time is up;
 * counts the operations done.
 */
export function concurrently(n: number, op: () => Promise<void>): Workload {
  return async (ms) => {
    const deadline = performance.now() + ms;
    let done = 0;
    const producer = async () => {
      while (performance.now() < deadline) {
        await op();
        done++;
      }
    };
    await Promise.all(Array.from({ length: n }, producer));
    return done;
  };
}

async function rateOf(work: Workload, ms: number): Promise<number> {
  const start = performance.now();
  const done = await work(ms);
  return done / ((performance.now() - start) / 1000);
}

export interface Comparison {
  ops_per_s: number;
  baseline_ops_per_s: number;
  ratio: number;
  /** Lowest and highest ratio of one round against the baseline round beside it. */
  ratio_range: [number, number];
  /** The peer's median rate, when one was measured. */
  peer_ops_per_s?: number;
}

/**
 * Medians of `subject` and `baseline` rates (and a `peer`'s, when given), measured in alternating
 * rounds (ABBA order) after a warm-up of each, so all see the same machine: this one is shared and
 * its disk is noisy.
 */
export async function compareRates(
  subject: Workload,
  baseline: Workload,
  plan: RatePlan = DEFAULT_PLAN,
  peer?: Workload,
): Promise<Comparison> {
  const others = peer ? [baseline, peer] : [baseline];
  for (const w of others) await w(plan.warmupMs);
  await subject(plan.warmupMs);
  plan.onWarm?.();
  const ours: number[] = [];
  const theirs: number[][] = others.map(() => []);
  const measureOthers = async (order: number[]) => {
    for (const i of order) theirs[i].push(await rateOf(others[i], plan.roundMs));
  };
  const forward = others.map((_, i) => i);
  for (let r = 0; r < plan.rounds; r++) {
    if (r % 2 === 0) {
      await measureOthers(forward);
      ours.push(await rateOf(subject, plan.roundMs));
    } else {
      ours.push(await rateOf(subject, plan.roundMs));
      await measureOthers([...forward].reverse());
    }
  }
  const ratios = ours.map((o, i) => o / theirs[0][i]);
  const ops = median(ours);
  const base = median(theirs[0]);
  return {
    ops_per_s: Math.round(ops),
    baseline_ops_per_s: Math.round(base),
    ratio: round2(ops / base),
    ratio_range: [round2(Math.min(...ratios)), round2(Math.max(...ratios))],
    ...(peer ? { peer_ops_per_s: Math.round(median(theirs[1])) } : {}),
  };
}

/** Collects operation latencies in milliseconds. */
export class Latencies {
  private samples: number[] = [];

  add(ms: number): void {
    this.samples.push(ms);
  }

  /** Drops what the warm-up recorded. */
  reset(): void {
    this.samples = [];
  }

  get count(): number {
    return this.samples.length;
  }

  summary(): { p50_ms: number; p99_ms: number; mean_ms: number } {
    const sorted = [...this.samples].sort((a, b) => a - b);
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    return {
      p50_ms: round3(quantile(sorted, 0.5)),
      p99_ms: round3(quantile(sorted, 0.99)),
      mean_ms: round3(mean),
    };
  }
}

/** Nearest-rank quantile of ascending samples. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function median(samples: readonly number[]): number {
  return quantile(
    [...samples].sort((a, b) => a - b),
    0.5,
  );
}

export const round2 = (n: number): number => Math.round(n * 100) / 100;
export const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/** Seeded PRNG (mulberry32): the same "random" places on every run, so runs compare. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

// `npm run bench` runs without --expose-gc; the flag can still be set at run time for a fresh context.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Full collection, so garbage of an earlier case is not collected inside a timed one. */
export function collectGarbage(): void {
  gc();
  gc();
}
