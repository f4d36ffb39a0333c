/** Read latency on the 1M journal: a 1,000-event stream, and a 1,000-event page of the global order. */
import { type Journal, open } from '../../src/index.js';
import { collectGarbage, Latencies, random } from '../measure.js';
import type { BenchResult } from '../report.js';
import { streamName } from '../workload.js';
import { EVENTS, journal1m, STREAMS } from './journal-1m.js';

const PAGE = 1000;
const WARMUP = 30;
const SAMPLES = 300;
const TARGET_MS = 5;

/** A whole stream (each holds 1,000 events, one every 1,000 positions), the stream chosen at random. */
export async function readStream1k(): Promise<BenchResult> {
  return readLatency('journal.read.stream1k', (journal, next) =>
    journal.readStream(streamName(Math.floor(next() * STREAMS)), { from: 0, limit: PAGE }),
  );
}

/** A page of `readAll` starting at a random position. */
export async function readPage1k(): Promise<BenchResult> {
  return readLatency(
    'journal.read.page1k',
    (journal, next) => journal.readAll({ after: Math.floor(next() * (EVENTS - PAGE)), limit: PAGE }).events,
  );
}

async function readLatency(
  bench: string,
  read: (journal: Journal, next: () => number) => readonly unknown[],
): Promise<BenchResult> {
  const journal = open(await journal1m());
  try {
    const next = random(7);
    const latency = new Latencies();
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      if (i === WARMUP) {
        latency.reset();
        collectGarbage();
      }
      const start = performance.now();
      const events = read(journal, next);
      latency.add(performance.now() - start);
      if (events.length !== PAGE) throw new Error(`${bench} read ${events.length} events, expected ${PAGE}`);
    }
    const figures = latency.summary();
    return {
      bench,
      ops_per_s: Math.round(PAGE / (figures.mean_ms / 1000)),
      ...figures,
      target: `p50 < ${TARGET_MS} ms`,
      met: figures.p50_ms < TARGET_MS,
    };
  } finally {
    journal.close();
  }
}
