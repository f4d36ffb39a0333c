/**
 * The benchmark suite: `npm run bench [-- --json] [-- --only <prefix>]`.
 * Each case measures Causeway and, where one exists, a hand-written baseline in the same run.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { cursorWorker, fanout, projectionCatchUp } from './delivery/cases.js';
import { gatedAppend, signedAppend, signedAppendAsync16, signedAppendBatch100 } from './gates/cases.js';
import { appendBatch100, appendDurable, appendDurable16, appendSingle } from './journal/append.js';
import { indexMemory } from './journal/index-memory.js';
import { openByRebuild, openFromSnapshot } from './journal/open.js';
import {
  pgAppendBatch100,
  pgAppendC16,
  pgAppendSingle,
  pgCursorWorker,
  pgReadPage1k,
  pgSequenceLag,
} from './journal/postgres.js';
import { readPage1k, readStream1k } from './journal/read.js';
import { collectGarbage } from './measure.js';
import { batchE2e, drain, e2e } from './outbox/cases.js';
import { type BenchResult, progress, Reporter } from './report.js';
import { natsRelay, rabbitMqRelay } from './sinks/relay.js';
import { workerNotify, workerProceed } from './worker/loop.js';
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
  ['journal.pg.append.c16', pgAppendC16],
  ['journal.pg.append.single', pgAppendSingle],
  ['journal.pg.append.batch100', pgAppendBatch100],
  ['journal.pg.sequence_lag', pgSequenceLag],
  ['journal.pg.read.page1k', pgReadPage1k],
  ['journal.pg.cursor_worker', pgCursorWorker],
  ['worker.proceed', workerProceed],
  ['worker.notify', workerNotify],
  ['delivery.cursor_worker', cursorWorker],
  ['delivery.fanout', fanout],
  ['delivery.projection', projectionCatchUp],
  ['gates.gated_append', gatedAppend],
  ['gates.signed_append', signedAppend],
  ['gates.signed_append.async16', signedAppendAsync16],
  ['gates.signed_append.batch100', signedAppendBatch100],
  ...(['pg', 'mysql', 'sqlite'] as const).flatMap((d): [string, () => Promise<BenchResult>][] => [
    [`outbox.${d}.e2e`, e2e(d)],
    [`outbox.${d}.drain`, drain(d)],
    [`outbox.${d}.batch_e2e`, batchE2e(d)],
  ]),
  ['sink.nats.relay', natsRelay],
  ['sink.rabbitmq.relay', rabbitMqRelay],
];

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: npm run bench [-- --json] [-- --only <prefix>]');
  console.log(`cases: ${CASES.map(([name]) => name).join(', ')}`);
  process.exit(0);
}
const only = values.only;
const selected = CASES.filter(([name]) => only === undefined || name.startsWith(only));
if (selected.length === 0) {
  console.error(`no benchmark matches --only ${only}; cases: ${CASES.map(([name]) => name).join(', ')}`);
  process.exit(2);
}

// Ctrl-C during a long case still removes the temporary journals.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanup();
    process.exit(130);
  });
}

// Absolute figures depend on what else the machine is doing; the load tells the reader of a result.
const load = () => `load average ${os.loadavg()[0].toFixed(2)} on ${os.availableParallelism()} CPUs`;
progress(load());
const reporter = new Reporter(values.json);
try {
  for (const [name, run] of selected) {
    progress(`${name}...`);
    collectGarbage();
    reporter.print(await run());
  }
  progress(load());
} finally {
  cleanup();
}
