import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Journal, open } from '../../src/index.js';
import { type BenchResult, percentile } from '../report.js';
import { benchDir, payload, streams } from '../workload.js';

export const EVENTS = 1_000_000;
const STREAMS = 1000;
const BATCH = 1000;

let built: string | undefined;

/** A journal of 1,000,000 events over 1,000 streams (~100-byte payloads), closed with a snapshot. */
export function journalOf1M(): string {
  if (built) return built;
  const dir = benchDir('1m');
  const coords = streams(STREAMS);
  const j = open(dir, { snapshotEveryEvents: 0 });
  for (let b = 0; b < EVENTS / BATCH; b++) {
    j.appendBatch(
      Array.from({ length: BATCH }, (_, k) => ({
        coordinate: coords[(b * BATCH + k) % STREAMS],
        event: { type: k % 10 === 0 ? 'OrderPaid' : 'OrderPlaced', data: payload(b * BATCH + k) },
      })),
    );
  }
  j.close();
  built = dir;
  return dir;
}

function timedOpen(dir: string): { ms: number; journal: Journal } {
  const start = performance.now();
  const journal = open(dir);
  return { ms: performance.now() - start, journal };
}

export async function openFromSnapshot(): Promise<BenchResult> {
  const dir = journalOf1M();
  timedOpen(dir).journal.close(); // warm the page cache like a restarted service would find it
  return openResult('journal.open.snapshot_1m', 'snapshot', timedOpen(dir), 1000);
}

export async function openByRebuild(): Promise<BenchResult> {
  const dir = journalOf1M();
  fs.rmSync(path.join(dir, 'index.snap'));
  // Closing writes the snapshot again, for the cases that follow.
  return openResult('journal.open.rebuild_1m', 'rebuild', timedOpen(dir), 4000);
}

function openResult(
  bench: string,
  path: 'snapshot' | 'rebuild',
  opened: { ms: number; journal: Journal },
  targetMs: number,
): BenchResult {
  const { ms, journal } = opened;
  const report = journal.openReport();
  journal.close();
  if (report.path !== path) throw new Error(`expected the ${path} path, got ${report.path}`);
  return {
    bench,
    ms: Math.round(ms),
    ops_per_s: Math.round(EVENTS / (ms / 1000)),
    events: report.events,
    target: `< ${targetMs} ms`,
    met: ms < targetMs,
  };
}

/** Latency of `samples` reads on the 1M journal; `read` returns how many events it read. */
function latencies(
  name: string,
  samples: number,
  read: (journal: Journal, i: number) => number,
): BenchResult {
  const journal = open(journalOf1M());
  try {
    for (let i = 0; i < 20; i++) read(journal, i); // warm up
    const times: number[] = [];
    let events = 0;
    for (let i = 0; i < samples; i++) {
      const start = performance.now();
      events += read(journal, i);
      times.push(performance.now() - start);
    }
    const total = times.reduce((a, b) => a + b, 0);
    const p50 = percentile(times, 50);
    const p99 = percentile(times, 99);
    return {
      bench: name,
      ops_per_s: Math.round(events / (total / 1000)),
      p50_ms: round3(p50),
      p99_ms: round3(p99),
      target: '< 5 ms',
      met: p50 < 5,
    };
  } finally {
    journal.close();
  }
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

// Deterministic spread of starting points over the journal.
const spread = (i: number, range: number) => Math.floor((((i * 2654435761) >>> 0) / 2 ** 32) * range);

/** 1,000 events of one stream (each stream holds 1,000 events spread over the whole journal). */
export async function readStream1k(): Promise<BenchResult> {
  return latencies(
    'journal.read.stream1k',
    200,
    (j, i) => j.readStream(`stream:${spread(i, STREAMS)}`, { from: 0, limit: 1000 }).length,
  );
}

/** A 1,000-event page of readAll at a random place. */
export async function readPage1k(): Promise<BenchResult> {
  return latencies(
    'journal.read.page1k',
    200,
    (j, i) => j.readAll({ after: spread(i, EVENTS - 1000), limit: 1000 }).events.length,
  );
}

/** Index memory at 1M events: the journal's own accounting and the process heap growth on open. */
export async function indexMemory(): Promise<BenchResult> {
  const dir = journalOf1M();
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const script = path.join(import.meta.dirname, 'index-memory.ts');
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', tsx, script, dir], {
    encoding: 'utf8',
  });
  const { accounted, measured, events } = JSON.parse(out.trim().split('\n').at(-1)!);
  const perEvent = measured / events;
  return {
    bench: 'journal.index',
    bytes_per_event: Math.round(perEvent * 10) / 10,
    accounted_bytes_per_event: Math.round((accounted / events) * 10) / 10,
    events,
    target: '<= 150 bytes/event',
    met: perEvent <= 150,
  };
}
