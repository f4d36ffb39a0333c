/** Memory of the in-memory index at 1M events: the journal's own accounting and a measurement. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { BenchResult } from '../report.js';
import { journal1m } from './journal-1m.js';

const TARGET = 150;

export async function indexMemory(): Promise<BenchResult> {
  const dir = await journal1m();
  // A child process with --expose-gc: a clean heap, so the growth on open is the journal's.
  const child = path.join(import.meta.dirname, 'index-memory-child.ts');
  const out = execFileSync(
    process.execPath,
    ['--expose-gc', '--import', import.meta.resolve('tsx'), child, dir],
    { encoding: 'utf8' },
  );
  const { events, accounted, measured } = JSON.parse(out.trim().split('\n').at(-1)!) as {
    events: number;
    accounted: number;
    measured: number;
  };
  const perEvent = measured / events;
  return {
    bench: 'journal.index',
    bytes_per_event: round1(perEvent),
    accounted_bytes_per_event: round1(accounted / events),
    events,
    target: `<= ${TARGET} bytes/event`,
    met: perEvent <= TARGET,
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
