import { open } from '../../src/index.js';
import { SqliteEventStore } from '../baseline/sqlite-events.js';
import { type BenchResult, rate, rateSync } from '../report.js';
import { benchDir, payload, streams } from '../workload.js';

const RUN_MS = 3000;
const WARMUP_MS = 500;
const coords = streams(100);

/** Single appends, default durability (written to the OS, fsynced on cadence), 100 streams. */
export async function appendSingle(): Promise<BenchResult> {
  const baseline = new SqliteEventStore(benchDir('base-single'), 'NORMAL');
  let b = 0;
  const baseOp = () => {
    baseline.appendOne(`stream:${b % 100}`, 'OrderPlaced', JSON.stringify(payload(b++)));
    return 1;
  };
  const baselineRate = steadyRate(baseOp);
  baseline.close();

  const journal = open(benchDir('single'));
  let i = 0;
  const op = () => {
    journal.append(coords[i % 100], { type: 'OrderPlaced', data: payload(i++) });
    return 1;
  };
  const journalRate = steadyRate(op);
  journal.close();
  return compare('journal.append.single', journalRate, baselineRate, 10, {
    baseline: 'SQLite WAL synchronous=NORMAL, one transaction per event',
  });
}

/** Atomic batches of 100 events against 100 inserts in one SQLite transaction. */
export async function appendBatch100(): Promise<BenchResult> {
  const baseline = new SqliteEventStore(benchDir('base-batch'), 'NORMAL');
  let b = 0;
  const baseOp = () => {
    baseline.appendMany(
      coords.map((c) => ({ stream: c.entity, type: 'OrderPlaced', data: JSON.stringify(payload(b++)) })),
    );
    return 100;
  };
  const baselineRate = steadyRate(baseOp);
  baseline.close();

  const journal = open(benchDir('batch'));
  let i = 0;
  const op = () => {
    journal.appendBatch(
      coords.map((coordinate) => ({ coordinate, event: { type: 'OrderPlaced', data: payload(i++) } })),
    );
    return 100;
  };
  const journalRate = steadyRate(op);
  journal.close();
  return compare('journal.append.batch100', journalRate, baselineRate, 5, {
    baseline: 'SQLite WAL, 100 inserts per transaction',
  });
}

let fullBaselineRate: number | undefined;

/** Durable (fsynced) single inserts into SQLite with synchronous=FULL: the baseline of both durable cases. */
function durableBaseline(): number {
  if (fullBaselineRate === undefined) {
    const baseline = new SqliteEventStore(benchDir('base-durable'), 'FULL');
    let b = 0;
    const op = () => {
      baseline.appendOne(`stream:${b % 100}`, 'OrderPlaced', JSON.stringify(payload(b++)));
      return 1;
    };
    fullBaselineRate = steadyRate(op);
    baseline.close();
  }
  return fullBaselineRate;
}

/** Synchronous durable appends: each returns after its own fsync. */
export async function appendDurable(): Promise<BenchResult> {
  const baselineRate = durableBaseline();
  const journal = open(benchDir('durable'));
  let i = 0;
  const op = () => {
    journal.append(coords[i % 100], { type: 'OrderPlaced', data: payload(i++) }, { durable: true });
    return 1;
  };
  const journalRate = steadyRate(op);
  journal.close();
  return compare('journal.append.durable', journalRate, baselineRate, 1, {
    baseline: 'SQLite WAL synchronous=FULL, one transaction per event',
  });
}

/** 16 async producers, each awaiting a durable append before the next: they share fsyncs. */
export async function appendDurable16(): Promise<BenchResult> {
  const baselineRate = durableBaseline();
  const journal = open(benchDir('durable16'));
  let i = 0;
  const producers = (ms: number) =>
    Promise.all(
      Array.from({ length: 16 }, (_, p) =>
        rate(ms, async () => {
          await journal.appendAsync(
            coords[(i++ + p) % 100],
            { type: 'OrderPlaced', data: payload(i) },
            { durable: true },
          );
          return 1;
        }),
      ),
    );
  await producers(WARMUP_MS);
  const rates = await producers(RUN_MS);
  journal.close();
  const journalRate = rates.reduce((a, b) => a + b, 0);
  return compare('journal.append.durable16', journalRate, baselineRate, 5, {
    baseline: 'SQLite WAL synchronous=FULL, one transaction per event',
  });
}

/** Operations per second after a warm-up. */
function steadyRate(op: () => number): number {
  rateSync(WARMUP_MS, op);
  return rateSync(RUN_MS, op);
}

function compare(
  bench: string,
  ops: number,
  baseline: number,
  factor: number,
  extra: Record<string, unknown>,
): BenchResult {
  const ratio = ops / baseline;
  return {
    bench,
    ops_per_s: Math.round(ops),
    baseline_ops_per_s: Math.round(baseline),
    ratio: Math.round(ratio * 100) / 100,
    target: `>= ${factor}x baseline`,
    met: ratio >= factor,
    ...extra,
  };
}
