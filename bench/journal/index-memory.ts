/** Child process of the journal.index case: opens a journal and reports how much memory its index took. */
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
const after = used();
const stats = journal.stats();
console.log(JSON.stringify({ events: stats.events, accounted: stats.indexBytes, measured: after - before }));
journal.close();
