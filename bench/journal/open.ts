/** Cold start at 1M events: from the index snapshot, and by rebuilding the index from the segments. */
import fs from 'node:fs';
import path from 'node:path';
import { open } from '../../src/index.js';
import { collectGarbage, median } from '../measure.js';
import type { BenchResult } from '../report.js';
import { EVENTS, journal1m } from './journal-1m.js';

const RUNS = 3;

export async function openFromSnapshot(): Promise<BenchResult> {
  const dir = await journal1m();
  timedOpen(dir, 'snapshot'); // warm-up: code paths and the page cache, as a restarted service finds them
  const times = Array.from({ length: RUNS }, () => timedOpen(dir, 'snapshot'));
  return openResult('journal.open.snapshot_1m', times, 1000);
}

export async function openByRebuild(): Promise<BenchResult> {
  const dir = await journal1m();
  const times = Array.from({ length: RUNS }, () => {
    fs.rmSync(path.join(dir, 'index.snap'));
    // Closing writes the snapshot again, for the next run and the cases that follow.
    return timedOpen(dir, 'rebuild');
  });
  return openResult('journal.open.rebuild_1m', times, 4000);
}

/** Milliseconds `open` took; checks that it came up the way the case means to measure. */
function timedOpen(dir: string, expected: 'snapshot' | 'rebuild'): number {
  collectGarbage();
  const start = performance.now();
  const journal = open(dir);
  const ms = performance.now() - start;
  const report = journal.openReport();
  journal.close();
  if (report.path !== expected)
    throw new Error(`expected the ${expected} path, got ${report.path} (${report.snapshotRejected})`);
  if (report.events !== EVENTS) throw new Error(`opened ${report.events} events, expected ${EVENTS}`);
  return ms;
}

function openResult(bench: string, times: number[], targetMs: number): BenchResult {
  const ms = median(times);
  return {
    bench,
    ops_per_s: Math.round(EVENTS / (ms / 1000)),
    ms: Math.round(ms),
    runs_ms: times.map(Math.round),
    target: `< ${targetMs} ms`,
    met: ms < targetMs,
  };
}
