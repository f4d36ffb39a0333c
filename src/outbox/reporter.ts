import { DatabaseError, DatabaseUnavailable } from '../errors.js';
import type { Logger } from '../logger.js';
import type { WorkerListener } from '../worker/index.js';
import type { DeadLettered, FailureContext, OutboxOptions } from './types.js';

/**
 * Everything the outbox tells its operator: each handler failure, retry, dead letter, lost lease
 * and background failure goes to the logger (with queue, partition, message id and attempt) and to
 * the `onError` / `onDeadLetter` hooks. A hook that throws is logged, never passed on.
 */
export class Reporter {
  constructor(
    readonly logger: Logger,
    private readonly hooks: Pick<OutboxOptions, 'onError' | 'onDeadLetter'> = {},
  ) {}

  /** A delivery attempt failed and will be tried again after `delayMs`. */
  retrying(at: FailureContext, delayMs: number, reason: string, error?: unknown): void {
    this.logger.warn({ ...at, delayMs, reason, err: error }, 'outbox delivery failed; it is tried again');
    if (error !== undefined) this.error(error, at);
  }

  /** A message went to the dead letters. */
  deadLettered(letter: DeadLettered, error?: unknown): void {
    this.logger.error({ ...letter }, 'outbox message dead-lettered');
    if (error !== undefined) this.error(error, { ...letter, attempt: letter.attempts });
    this.call('onDeadLetter', () => this.hooks.onDeadLetter?.(letter));
  }

  /** Something went wrong that the caller hears of only through the hook. */
  error(error: unknown, at: FailureContext): void {
    this.call('onError', () => this.hooks.onError?.(error, at));
  }

  /**
   * Background workers' failures: a database that is away is a warning (it is retried); a conflict a
   * retry resolves (a deadlock) is information; anything else an error. Each is reported once per
   * step of the worker's backoff, and its recovery once.
   */
  workerListener(): WorkerListener {
    const failing = new Map<string, number>();
    let conflicts = 0;
    return {
      onError: (w, err, consecutiveFailures, backoffMs) => {
        failing.set(w.name, consecutiveFailures);
        const at = { worker: w.name, consecutiveFailures, backoffMs };
        if (err instanceof DatabaseUnavailable)
          this.logger.warn({ err, ...at }, 'outbox database unavailable; the worker retries');
        else if (err instanceof DatabaseError && err.retryable)
          this.logger.info(
            { err, ...at, conflicts: ++conflicts },
            'outbox statement conflicted with another transaction (a deadlock or lock timeout); retried',
          );
        else this.logger.error({ err, ...at }, 'outbox worker failed');
        this.error(err, { worker: w.name });
      },
      onComplete: (w, _ms, directive) => {
        const failures = failing.get(w.name);
        if (failures === undefined || directive.kind === 'failed') return;
        failing.delete(w.name);
        this.logger.info({ worker: w.name, failures }, 'outbox worker recovered');
      },
    };
  }

  private call(hook: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ err, hook }, `the outbox's ${hook} hook threw; the outbox goes on`);
    }
  }
}
