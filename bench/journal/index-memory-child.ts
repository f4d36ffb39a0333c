/**
 * Child process of the journal.index case: opens the journal given as argument and prints one JSON
 * line with its event count, its index's own accounting (`stats().indexBytes`) and the growth of the
 * heap plus array buffers across `open`.
 */
import { open } from '../../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const used = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

const before = used();
const journal = open(process.argv[2]);
const measured = used() - before;
const stats = journal.stats();
journal.close();
console.log(JSON.stringify({ events: stats.events, accounted: stats.indexBytes, measured }));
