import { InvalidArgument } from '../errors.js';
import { MAX_TIMER_MS } from '../validation.js';
import type {
  BatchOutcome,
  Delivery,
  DeliveryOptions,
  LeasedContext,
  Message,
  Outcome,
  TransactionalContext,
} from './types.js';

/** Builders of handler outcomes. */
export const Result = {
  ok: (): Outcome => OK,
  /** Try again after `delayMs` (whole milliseconds, up to about 24 days; default: the queue's backoff). */
  retry: (options: { delayMs?: number; reason?: string } = {}): Extract<Outcome, { kind: 'retry' }> => {
    const { delayMs } = options;
    if (delayMs === undefined) return { kind: 'retry', ...options };
    const problem = retryDelayProblem(delayMs);
    if (problem) throw new InvalidArgument(problem, { delayMs });
    return { kind: 'retry', ...options, delayMs: Math.ceil(delayMs) };
  },
  reject: (reason: string): Extract<Outcome, { kind: 'reject' }> => ({ kind: 'reject', reason }),
  /**
   * The first `acked` messages of a batch are done; `next` applies to the message after them
   * (without it, the rest is delivered again). In a transactional batch the handler's writes all
   * commit with the prefix, so write only for the messages you acknowledge.
   */
  partial: (acked: number, next?: Exclude<Outcome, { kind: 'ok' }>): BatchOutcome => ({
    kind: 'partial',
    acked,
    next,
  }),
};

const OK: Outcome = Object.freeze({ kind: 'ok' });

/** Why `delayMs` cannot be a retry delay, or null when it can. */
export function retryDelayProblem(delayMs: unknown): string | null {
  return typeof delayMs === 'number' && delayMs >= 0 && delayMs <= MAX_TIMER_MS
    ? null
    : `a retry delay must be a number of milliseconds from 0 to ${MAX_TIMER_MS}, not ${String(delayMs)}`;
}

type Awaitable<T> = T | Promise<T>;

/** At-least-once delivery, one message at a time, under a lease. */
export const leased = (
  handle: (message: Message, ctx: LeasedContext) => Awaitable<Outcome>,
  options: DeliveryOptions = {},
): Delivery => ({ mode: 'leased', batch: false, handle: check(handle), options });

/** At-least-once delivery of batches under a lease. */
export const leasedBatch = (
  handle: (messages: Message[], ctx: LeasedContext) => Awaitable<BatchOutcome>,
  options: DeliveryOptions = {},
): Delivery => ({ mode: 'leased', batch: true, handle: check(handle), options });

/**
 * Exactly-once within the database: the handler runs in the transaction that acknowledges. On
 * SQLite that transaction holds the only write lock: keep the handler synchronous (`ctx.client` is
 * the better-sqlite3 database), or other writers wait while it awaits.
 */
export const transactional = (
  handle: (message: Message, ctx: TransactionalContext) => Awaitable<Outcome>,
  options: DeliveryOptions = {},
): Delivery => ({ mode: 'transactional', batch: false, handle: check(handle), options });

/** Exactly-once batches: the batch handler runs in the transaction that acknowledges. */
export const transactionalBatch = (
  handle: (messages: Message[], ctx: TransactionalContext) => Awaitable<BatchOutcome>,
  options: DeliveryOptions = {},
): Delivery => ({ mode: 'transactional', batch: true, handle: check(handle), options });

function check<F>(handle: F): F {
  if (typeof handle !== 'function') throw new InvalidArgument('a handler must be a function');
  return handle;
}
