/**
 * What every cursor worker has in common, whatever keeps its journal: the worker loop it runs on,
 * the handle its caller gets, and the check of what its handler returned.
 */
import { InvalidArgument } from '../../errors.js';
import { inSpan, messagingSpan } from '../../tracing.js';
import { type Directive, type Notifier, Worker } from '../../worker/index.js';
import type { RestartBudget } from './restart-budget.js';
import type { CursorWorkerHandle, CursorWorkerHandler, CursorWorkerOutcome } from './types.js';

/** One cursor worker's parts, as its backend builds them. */
export interface CursorWorkerRun {
  readonly name: string;
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
  finished.catch(() => {}); // reported through join(); never an unhandled rejection
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
