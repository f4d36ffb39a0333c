/**
 * Consumers of the 1M-event journal: a durable cursor worker, a projection catching up from nothing,
 * and a lossy fan-out to 100 subscribers. The baseline of the first two is reading the same events
 * page by page with `readAll` in the same run: the cost of reading alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  CursorWorkerAction,
  type Journal,
  open,
  type Projection,
  type StoredEvent,
} from '../../src/index.js';
import { EVENTS, journal1m } from '../journal/journal-1m.js';
import { collectGarbage, median } from '../measure.js';
import type { BenchResult } from '../report.js';
import { benchDir, EVENT_TYPE, payload, streams } from '../workload.js';

const ROUNDS = 3;
const round0 = (n: number) => Math.round(n);

/** Events per second of reading the whole journal in pages of `page` (nothing else). */
function readAlone(journal: Journal, page: number): number {
  const start = performance.now();
  let after = 0;
  let n = 0;
  for (;;) {
    const p = journal.readAll({ after, limit: page });
    n += p.events.length;
    if (p.done) break;
    after = p.nextAfter;
  }
  return n / ((performance.now() - start) / 1000);
}

/** A delivery case's result against reading alone, with a target in events per second. */
function vsReading(bench: string, ops: number, base: number, target: number): BenchResult {
  return {
    bench,
    ops_per_s: round0(ops),
    baseline_ops_per_s: round0(base),
    ratio: Math.round((ops / base) * 100) / 100,
    target: `>= ${target.toLocaleString('en-US')} events/s`,
    met: ops >= target,
  };
}

/** Rounds of `subject` alternating with the read-alone baseline; medians of both. */
async function againstReading(
  journal: Journal,
  page: number,
  subject: () => Promise<number>,
): Promise<{ ops: number; base: number }> {
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    collectGarbage();
    theirs.push(readAlone(journal, page));
    collectGarbage();
    ours.push(await subject());
  }
  return { ops: median(ours), base: median(theirs) };
}

/** A durable cursor worker (batch 256, checkpoint written after every batch) over 1M events. */
export async function cursorWorker(): Promise<BenchResult> {
  const journal = open(await journal1m());
  try {
    let round = 0;
    const { ops, base } = await againstReading(journal, 256, async () => {
      const id = `bench-${round++}`;
      let seen = 0;
      const start = performance.now();
      const handle = journal.cursorWorker({}, { batchSize: 256, checkpointId: id }, (batch) => {
        seen += batch.length;
        return seen >= EVENTS ? CursorWorkerAction.stop : CursorWorkerAction.continue;
      });
      await handle.join();
      const rate = seen / ((performance.now() - start) / 1000);
      const saved = JSON.parse(fs.readFileSync(path.join(journal.dir, 'checkpoints', `${id}.json`), 'utf8'));
      if (seen !== EVENTS || saved.position !== EVENTS)
        throw new Error(`cursor worker saw ${seen}, saved ${saved.position}`);
      return rate;
    });
    return vsReading('delivery.cursor_worker', ops, base, 500_000);
  } finally {
    journal.close();
  }
}

/** A projection summing amounts per currency, built from nothing over 1M events. */
export async function projectionCatchUp(): Promise<BenchResult> {
  const journal = open(await journal1m());
  try {
    let version = 0;
    const { ops, base } = await againstReading(journal, 4096, async () => {
      const projection: Projection<Record<string, number>> = {
        name: 'revenue',
        version: ++version, // a new version each round: a full rebuild
        initial: () => ({}),
        apply: (state, e: StoredEvent) => {
          const { currency, amount } = e.data as { currency: string; amount: number };
          state[currency] = (state[currency] ?? 0) + amount;
          return state;
        },
      };
      const start = performance.now();
      const { position } = journal.project(projection);
      const rate = EVENTS / ((performance.now() - start) / 1000);
      if (position !== EVENTS) throw new Error(`projection reached ${position}`);
      return rate;
    });
    return vsReading('delivery.projection', ops, base, 1_000_000);
  } finally {
    journal.close();
  }
}

const SUBSCRIBERS = 100;
const FANOUT_EVENTS = 20_000;

/**
 * 100 lossy subscribers each receiving every one of 20,000 events appended in batches of 100; the
 * rate is deliveries (events x subscribers) per second, from the first append to the last delivery.
 */
export async function fanout(): Promise<BenchResult> {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const journal = open(benchDir('fanout'), { fsyncIntervalMs: 0 });
    try {
      const coords = streams(100);
      const subs = Array.from({ length: SUBSCRIBERS }, () =>
        journal.subscribeLossy({}, { capacity: FANOUT_EVENTS }),
      );
      collectGarbage();
      const start = performance.now();
      const drained = subs.map(async (s) => {
        let n = 0;
        while (n < FANOUT_EVENTS) {
          await s.wait();
          n += s.take().length;
        }
      });
      for (let b = 0; b < FANOUT_EVENTS / 100; b++) {
        journal.appendBatch(
          Array.from({ length: 100 }, (_, k) => ({
            coordinate: coords[k],
            event: { type: EVENT_TYPE, data: payload(b * 100 + k) },
          })),
        );
        if (b % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(drained);
      rates.push((SUBSCRIBERS * FANOUT_EVENTS) / ((performance.now() - start) / 1000));
      if (subs.some((s) => s.lagged !== null)) throw new Error('a subscriber lagged');
    } finally {
      journal.close();
    }
  }
  const ops = median(rates);
  return {
    bench: 'delivery.fanout',
    ops_per_s: round0(ops),
    target: '>= 1,000,000 deliveries/s',
    met: ops >= 1_000_000,
  };
}
