/**
 * The benchmark suite: `npm run bench [-- --json] [-- --only <prefix>]`.
 * Each case measures Causeway and, where one exists, a hand-written baseline in the same run.
 */
import { parseArgs } from 'node:util';
import { appendBatch100, appendDurable, appendDurable16, appendSingle } from './journal/append.js';
import { indexMemory, openByRebuild, openFromSnapshot, readPage1k, readStream1k } from './journal/large.js';
import { type BenchResult, printResult } from './report.js';
import { cleanup } from './workload.js';

const CASES: [string, () => Promise<BenchResult>][] = [
  ['journal.append.single', appendSingle],
  ['journal.append.batch100', appendBatch100],
  ['journal.append.durable', appendDurable],
  ['journal.append.durable16', appendDurable16],
  ['journal.open.snapshot_1m', openFromSnapshot],
  ['journal.open.rebuild_1m', openByRebuild],
  ['journal.read.stream1k', readStream1k],
  ['journal.read.page1k', readPage1k],
  ['journal.index', indexMemory],
];

const { values } = parseArgs({
  options: { json: { type: 'boolean', default: false }, only: { type: 'string' } },
});
const selected = CASES.filter(([name]) => values.only === undefined || name.startsWith(values.only));
if (selected.length === 0) {
  console.error(`no benchmark matches --only ${values.only}; cases: ${CASES.map(([n]) => n).join(', ')}`);
  process.exit(2);
}
try {
  for (const [, run] of selected) printResult(await run(), values.json);
} finally {
  cleanup();
}
