import { InvalidArgument } from '../../errors.js';
import { checkOptions, isTimerDelay, keys, MAX_TIMER_MS } from '../../validation.js';
import { Directive, Notifier } from '../../worker/index.js';
import type { Region } from '../types.js';
import { CheckpointWriter } from './checkpoint-file.js';
import { Cursor } from './cursor.js';
import type { JournalFeed } from './feed.js';
import { RestartBudget, validateRestartPolicy } from './restart-budget.js';
import type {
  CursorWorkerConfig,
  CursorWorkerContext,
  CursorWorkerHandle,
  CursorWorkerHandler,
  CursorWorkerOutcome,
} from './types.js';
import { checkOutcome, restartAfterThrow, runCursorWorker, tracedHandler } from './worker-run.js';

const WORKER_OPTIONS = keys('name', 'batchSize', 'checkpointId', 'after', 'restart', 'pollIntervalMs');

/**
 * Starts a worker that polls `region` in batches and hands each to `handler`; see
 * {@link Journal.cursorWorker}. Checkpoint problems found at start (another region, a damaged file)
 * throw here; later failures stop the worker and reject `join()`.
 */
export function startCursorWorker(
  journal: JournalFeed,
  region: Region,
  config: CursorWorkerConfig,
  handler: CursorWorkerHandler,
): CursorWorkerHandle {
  checkOptions(config, WORKER_OPTIONS, 'cursor worker option');
  const { batchSize = 64, checkpointId, after, pollIntervalMs = 20 } = config;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new InvalidArgument('batchSize must be a positive integer', { batchSize });
  if (!isTimerDelay(pollIntervalMs, 1))
    throw new InvalidArgument(`pollIntervalMs must be from 1 to ${MAX_TIMER_MS}`, { pollIntervalMs });
  if (typeof handler !== 'function') throw new InvalidArgument('a cursor worker needs a handler function');
  const budget = new RestartBudget(validateRestartPolicy(config.restart ?? { kind: 'once' }));
  const name = config.name ?? checkpointId ?? 'cursor-worker';
  const traced = tracedHandler(name, handler);
  const cursor = new Cursor(journal, region, { checkpointId, after });
  // A failed write stops the worker at once, even if no new event would have come to notice it.
  const writer =
    cursor.checkpoint &&
    new CheckpointWriter(
      (p) => cursor.save(p),
      cursor.committed,
      (err) => {
        journal.logger.error({ err, worker: name }, 'cursor worker could not write its checkpoint; it stops');
        handle.stop();
      },
    );
  // A durable worker's committed position is the one on disk, never one whose write failed.
  const committed = () => (writer ? writer.written : cursor.committed);
  const commit = () => {
    const position = cursor.markCommitted();
    writer?.save(position);
  };

  const commits = new Notifier();
  const stopListening = journal.onCommit(() => commits.wake());
  // Beside a writer in another process, new events are only found by looking; this timer is also
  // what keeps a consumer process alive while its worker runs.
  const follow = journal.readOnly ? setInterval(() => commits.wake(), pollIntervalMs) : null;
  const run = async (signal: AbortSignal): Promise<Directive> => {
    const batch = cursor.poll(batchSize);
    if (batch.length === 0) return Directive.idle();
    const context: CursorWorkerContext = { durable: writer !== null, committed: cursor.committed, signal };
    let outcome: CursorWorkerOutcome;
    try {
      outcome = await traced(batch, context);
    } catch (err) {
      restartAfterThrow({ name, logger: journal.logger, budget }, err, cursor.committed);
      cursor.rollback();
      return Directive.proceed();
    }
    switch (checkOutcome(outcome, name)) {
      case 'continue':
        commit();
        return Directive.proceed();
      case 'stop':
        commit();
        handle.stop();
        return Directive.idle();
      case 'stopWithRollback':
        cursor.rollback();
        handle.stop();
        return Directive.idle();
    }
  };

  const handle = runCursorWorker({
    name,
    logger: journal.logger,
    wake: commits,
    budget,
    committed,
    execute: run,
    // The worker has stopped and its last checkpoint is on disk (or the failure is known).
    finish: (stopped) =>
      stopped
        .then(
          () => writer?.flush(),
          async (err) => {
            await writer?.flush().catch(() => {});
            throw err;
          },
        )
        .finally(() => {
          stopListening();
          if (follow) clearInterval(follow);
        }),
  });
  return handle;
}
