import { Directive, Notifier, Worker } from '../../src/index.js';
import type { BenchResult } from '../report.js';

const RUN_MS = 2000;

/** The loop's own cost: an action that always says `proceed`, with zero pacing. */
export async function workerProceed(): Promise<BenchResult> {
  let runs = 0;
  const worker = new Worker({
    name: 'proceed',
    action: {
      execute: () => {
        runs++;
        return Directive.proceed();
      },
    },
  }).start();
  worker.wake();
  await new Promise((r) => setTimeout(r, 300)); // warm up
  const before = runs;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, RUN_MS));
  const opsPerS = (runs - before) / ((performance.now() - start) / 1000);
  await worker.stop();
  return {
    bench: 'worker.proceed',
    ops_per_s: Math.round(opsPerS),
    target: '>= 1,000,000 runs/s',
    met: opsPerS >= 1_000_000,
  };
}

/** Latency from `wake()` on a notifier to the start of `execute` of an idle worker. */
export async function workerNotify(): Promise<BenchResult> {
  const samples = 20_000;
  const notifier = new Notifier();
  let executed: (at: number) => void = () => {};
  const worker = new Worker({
    name: 'notify',
    notifiers: [notifier],
    action: {
      execute: () => {
        executed(performance.now());
        return Directive.idle();
      },
    },
  }).start();
  const latencies: number[] = [];
  for (let i = 0; i < samples + 1000; i++) {
    const ran = new Promise<number>((resolve) => {
      executed = resolve;
    });
    const woke = performance.now();
    notifier.wake();
    const at = await ran;
    if (i >= 1000) latencies.push((at - woke) * 1000);
    // Let the worker settle back into its idle wait before the next wake.
    await new Promise((r) => setImmediate(r));
  }
  await worker.stop();
  latencies.sort((a, b) => a - b);
  const p50 = latencies[Math.floor(latencies.length / 2)];
  const p99 = latencies[Math.floor(latencies.length * 0.99)];
  return {
    bench: 'worker.notify',
    p50_us: Math.round(p50 * 10) / 10,
    p99_us: Math.round(p99 * 10) / 10,
    p50_ms: Math.round(p50) / 1000,
    target: 'p50 < 50 µs',
    met: p50 < 50,
  };
}
