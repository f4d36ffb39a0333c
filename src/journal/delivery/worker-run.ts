/**
 * What every cursor worker has in common, whatever keeps its journal: the worker loop it runs on,
 * the handle its caller gets, and the check of what its handler returned.
 */
import { InvalidArgument, RestartBudgetExhausted } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { inSpan, messagingSpan } from '../../tracing.js';
import { type Directive, type Notifier, Worker } from '../../worker/index.js';
import type { RestartBudget } from './restart-budget.js';
import type { CursorWorkerHandle, CursorWorkerHandler, CursorWorkerOutcome } from './types.js';

/** One cursor worker's parts, as its backend builds them. */
export interface CursorWorkerRun {
  readonly name: string;
  /** Where a worker that stops on an error says so. */
  readonly logger: Logger;
  /** Wakes the worker: new events, a timer. */
  readonly wake: Notifier;
  readonly budget: RestartBudget;
  /** What the handle reports as committed. */
  committed(): number;
  /** One step: a batch handled, or why there is none. */
  execute(signal: AbortSignal): Promise<Directive>;
  /** Runs once the worker has stopped, given how it stopped; `join()` reports what it returns. */
  finish(stopped: Promise<void>): Promise<void>;
}

/** Starts `run` on a worker and returns its handle. */
export function runCursorWorker(run: CursorWorkerRun): CursorWorkerHandle {
  const worker = new Worker({
    name: run.name,
    category: 'cursor-worker',
    action: { execute: (signal) => run.execute(signal) },
    notifiers: [run.wake],
    onThrow: 'propagate',
  });
  worker.start().wake();
  const stopSoon = () => worker.stop().catch(() => {}); // join() reports how it ended
  const finished = run.finish(worker.join());
  // Reported through join() too; never an unhandled rejection.
  finished.catch((err) => run.logger.error({ err, worker: run.name }, 'cursor worker stopped on an error'));
  return {
    name: run.name,
    get committed() {
      return run.committed();
    },
    get restarts() {
      return run.budget.restarts;
    },
    stop: () => void stopSoon(),
    join: () => finished,
    stopAndJoin: () => {
      void stopSoon();
      return finished;
    },
  };
}

/**
 * After the handler threw: logged, and the batch is delivered again from the last checkpoint while
 * the restart budget lasts; past it, throws `RestartBudgetExhausted`, which stops the worker.
 */
export function restartAfterThrow(
  run: Pick<CursorWorkerRun, 'name' | 'logger' | 'budget'>,
  err: unknown,
  committed: number,
): void {
  if (!run.budget.take()) throw new RestartBudgetExhausted(run.name, run.budget.restarts, err);
  run.logger.warn(
    { err, worker: run.name, restarts: run.budget.restarts, committed },
    'cursor worker handler threw; it restarts from its checkpoint',
  );
}

/** The handler's outcome, or `InvalidArgument` naming the worker when it is none of the three. */
export function checkOutcome(outcome: unknown, worker: string): CursorWorkerOutcome {
  if (outcome === 'continue' || outcome === 'stop' || outcome === 'stopWithRollback') return outcome;
  throw new InvalidArgument(
    `cursor worker handler returned ${JSON.stringify(outcome)}; expected continue, stop or stopWithRollback`,
    { worker },
  );
}

/**
 * `handler` run in a CONSUMER span `process <worker>` linked to the trace contexts its batch's
 * events were appended in (none when no event has one).
 */
export function tracedHandler(name: string, handler: CursorWorkerHandler): CursorWorkerHandler {
  return (batch, context) =>
    inSpan(
      `process ${name}`,
      {
        kind: 'consumer',
        when: 'linked',
        from: batch.map((e) => e.metadata),
        attributes: messagingSpan('process', 'deliver', name, batch.length),
      },
      () => handler(batch, context),
    );
}
