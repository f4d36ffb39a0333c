/** Append throughput against the SQLite baseline: single, batched, durable, durable with 16 producers. */
import { type Journal, open } from '../../src/index.js';
import { type BaselineEvent, SqliteEventStore } from '../baseline/sqlite-events.js';
import { type Comparison, compareRates, concurrently, Latencies, loop, type Workload } from '../measure.js';
import type { BenchResult } from '../report.js';
import { benchDir, EVENT_TYPE, payload, streamName, streams } from '../workload.js';

const STREAMS = 100;
const coords = streams(STREAMS);
const event = (i: number) => ({ type: EVENT_TYPE, data: payload(i) });
const baselineEvent = (i: number): BaselineEvent => ({
  stream: streamName(i % STREAMS),
  type: EVENT_TYPE,
  data: payload(i),
});

// Appends per timing check in the fast loops, so reading the clock costs next to nothing.
const BURST = 10;

/** Single appends with default durability (written to the OS, fsynced on the 100 ms cadence). */
export async function appendSingle(): Promise<BenchResult> {
  return withStores('single', 'NORMAL', async (journal, baseline) => {
    let i = 0;
    let b = 0;
    const cmp = await compareRates(
      loop(() => {
        for (let k = 0; k < BURST; k++, i++) journal.append(coords[i % STREAMS], event(i));
        return BURST;
      }),
      loop(() => {
        for (let k = 0; k < BURST; k++) baseline.appendOne(baselineEvent(b++));
        return BURST;
      }),
    );
    return vsBaseline(
      'journal.append.single',
      cmp,
      10,
      'SQLite WAL, synchronous=NORMAL, one event per transaction',
    );
  });
}

/** Atomic batches of 100 events (one per stream) against 100 inserts in one SQLite transaction. */
export async function appendBatch100(): Promise<BenchResult> {
  return withStores('batch100', 'NORMAL', async (journal, baseline) => {
    let i = 0;
    let b = 0;
    const cmp = await compareRates(
      loop(() => {
        journal.appendBatch(coords.map((coordinate) => ({ coordinate, event: event(i++) })));
        return STREAMS;
      }),
      loop(() => {
        baseline.appendMany(coords.map(() => baselineEvent(b++)));
        return STREAMS;
      }),
    );
    return vsBaseline(
      'journal.append.batch100',
      cmp,
      5,
      'SQLite WAL, synchronous=NORMAL, 100 events per transaction',
    );
  });
}

/** Durable appends one at a time: each returns after its own fsync. */
export async function appendDurable(): Promise<BenchResult> {
  return withStores('durable', 'FULL', async (journal, baseline) => {
    const latency = new Latencies();
    let i = 0;
    const cmp = await compareRates(
      loop(() => {
        const start = performance.now();
        journal.append(coords[i % STREAMS], event(i++), { durable: true });
        latency.add(performance.now() - start);
        return 1;
      }),
      fullBaseline(baseline),
      { ...durablePlan, onWarm: () => latency.reset() },
    );
    return {
      ...vsBaseline('journal.append.durable', cmp, 1, FULL),
      ...latency.summary(),
    };
  });
}

/** 16 async producers, each awaiting its durable append before the next: they share fsyncs. */
export async function appendDurable16(): Promise<BenchResult> {
  return withStores('durable16', 'FULL', async (journal, baseline) => {
    const latency = new Latencies();
    let i = 0;
    const producers = concurrently(16, async () => {
      const start = performance.now();
      await journal.appendAsync(coords[i % STREAMS], event(i++), { durable: true });
      latency.add(performance.now() - start);
    });
    const cmp = await compareRates(producers, fullBaseline(baseline), {
      ...durablePlan,
      onWarm: () => latency.reset(),
    });
    return {
      ...vsBaseline('journal.append.durable16', cmp, 5, FULL),
      ...latency.summary(),
    };
  });
}

const FULL = 'SQLite WAL, synchronous=FULL, one event per transaction';

// fsync latency on a shared virtual disk wanders; more, shorter rounds give a steadier median.
const durablePlan = { warmupMs: 1000, roundMs: 700, rounds: 7 };

function fullBaseline(baseline: SqliteEventStore): Workload {
  let b = 0;
  return loop(() => {
    baseline.appendOne(baselineEvent(b++));
    return 1;
  });
}

/** Runs `body` with a fresh journal and a fresh baseline store, closing both afterwards. */
async function withStores(
  name: string,
  synchronous: 'NORMAL' | 'FULL',
  body: (journal: Journal, baseline: SqliteEventStore) => Promise<BenchResult>,
): Promise<BenchResult> {
  const baseline = new SqliteEventStore(benchDir(`baseline-${name}`), synchronous);
  const journal = open(benchDir(name));
  try {
    return await body(journal, baseline);
  } finally {
    journal.close();
    baseline.close();
  }
}

function vsBaseline(bench: string, cmp: Comparison, factor: number, baseline: string): BenchResult {
  return { bench, ...cmp, target: `>= ${factor}x baseline`, met: cmp.ratio >= factor, baseline };
}
