import type { SqlExecutor } from '../../sql/index.js';
import { inSpan, messagingSpan, type SpanOptions } from '../../tracing.js';
import { retryDelayProblem } from '../results.js';
import type { QueueCounters } from '../stats.js';
import type { BatchOutcome, Delivery, Message, Outcome } from '../types.js';
import { handlerScope } from './handler-scope.js';

/** A handler's decision in one shape: how many messages are done and what happens to the next. */
export interface Decision {
  readonly acked: number;
  readonly next?: Exclude<Outcome, { kind: 'ok' }>;
  /** The handler did not run this time, so this is no attempt of its own. */
  readonly unhandled?: true;
  /** What the handler threw (or why it failed), for the `onError` hook. */
  readonly error?: unknown;
}

const failure = (e: unknown): Exclude<Outcome, { kind: 'ok' }> => ({
  kind: 'retry',
  reason: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
});

/** A handler's retry with a delay no timer or database column can take is a failed attempt. */
function checkNext(next: Exclude<Outcome, { kind: 'ok' }>): Exclude<Outcome, { kind: 'ok' }> {
  if (next.kind !== 'retry' || next.delayMs === undefined) return next;
  const problem = retryDelayProblem(next.delayMs);
  return problem
    ? { kind: 'retry', reason: `the handler's ${problem}` }
    : { ...next, delayMs: Math.ceil(next.delayMs) };
}

function checkOutcome(o: BatchOutcome | undefined, size: number): Decision {
  switch (o?.kind) {
    case 'ok':
      return { acked: size };
    case 'retry':
    case 'reject':
      return { acked: 0, next: checkNext(o) };
    case 'partial':
      // With every message acknowledged there is no next message for `next` to apply to.
      if (o.acked === size) return { acked: size };
      if (Number.isInteger(o.acked) && o.acked >= 0 && o.acked < size)
        return { acked: o.acked, next: o.next && checkNext(o.next) };
      return {
        acked: 0,
        next: { kind: 'retry', reason: `partial acknowledgement of ${o.acked} of ${size}` },
      };
    default:
      return { acked: 0, next: { kind: 'retry', reason: `the handler returned no outcome (${String(o)})` } };
  }
}

/**
 * A transactional handler ran past its deadline. Its transaction must be rolled back whole and its
 * connection closed (the handler may still hold and use it); `index` is the message it was at.
 */
export class HandlerTimedOut extends Error {
  /** Asks the connection that ran the transaction to close rather than go back to its pool. */
  readonly discardConnection = true;
  constructor(
    readonly timeoutMs: number,
    readonly index: number,
  ) {
    super(timedOutReason(timeoutMs));
  }
}

const timedOutReason = (ms: number) => `the handler did not finish within ${ms} ms (handlerTimeoutMs)`;

/** How a run calls the handler: its context for a signal, and the deadline of each call. */
export interface HandlerCall {
  /** The context a handler receives, with the signal that aborts at its deadline or on stop. */
  context(signal: AbortSignal): unknown;
  /** The outbox the handler runs for (see {@link handlerScope}). */
  readonly scope: object;
  readonly timeoutMs: number;
  /** Transactional mode: the transaction's executor, for the savepoint around each call. */
  readonly savepoints?: SqlExecutor;
  /** Where each call's duration is counted. */
  readonly counters: Pick<QueueCounters, 'handled'>;
}

/**
 * Runs the handler over `messages`. A throw is a retry with the error as its reason, and so is a
 * call that does not finish by its deadline (its signal aborts). In transactional mode each message
 * (or the batch) runs inside a savepoint, so a message that is not acknowledged leaves none of its
 * writes behind; a call past its deadline throws {@link HandlerTimedOut} instead, since the
 * transaction can no longer be trusted.
 */
export async function decide(
  delivery: Delivery,
  messages: Message[],
  call: HandlerCall,
  signal: AbortSignal,
): Promise<Decision> {
  const { savepoints, timeoutMs } = call;
  // One context for the run: its signal aborts on stop or when a call passes its deadline (which
  // ends the run), so it is built once, not per message.
  const deadline = new AbortController();
  const ctx = call.context(AbortSignal.any([signal, deadline.signal]));
  const run = async (
    fn: (ctx: unknown) => Promise<BatchOutcome> | BatchOutcome,
    size: number,
    index: number,
  ): Promise<Decision> => {
    await savepoints?.query('SAVEPOINT causeway_delivery');
    let decision: Decision;
    try {
      const handled = size === 1 ? [messages[index]] : messages;
      const traced = () => inSpan(`process ${handled[0].queue}`, deliverySpan(handled), () => fn(ctx));
      const start = performance.now();
      try {
        decision = checkOutcome(await withDeadline(traced, call.scope, deadline, timeoutMs), size);
      } finally {
        call.counters.handled(performance.now() - start);
      }
    } catch (e) {
      if (e === TIMED_OUT) {
        const timedOut = new HandlerTimedOut(timeoutMs, index);
        if (savepoints) throw timedOut;
        return { acked: 0, next: { kind: 'retry', reason: timedOut.message }, error: timedOut };
      }
      decision = { acked: 0, next: failure(e), error: e };
    }
    if (!savepoints) return decision;
    // A whole-batch retry or reject undoes the handler's writes; a partial keeps them (documented).
    if (decision.acked === 0 && decision.next) {
      await savepoints.query('ROLLBACK TO SAVEPOINT causeway_delivery');
      await savepoints.query('RELEASE SAVEPOINT causeway_delivery');
      return decision;
    }
    try {
      await savepoints.query('RELEASE SAVEPOINT causeway_delivery');
      return decision;
    } catch (e) {
      // PostgreSQL: one of the handler's statements failed and it went on, so the transaction is
      // aborted and its writes cannot commit. Undo them; the attempt failed.
      await savepoints.query('ROLLBACK TO SAVEPOINT causeway_delivery');
      await savepoints.query('RELEASE SAVEPOINT causeway_delivery');
      return {
        acked: 0,
        next: {
          kind: 'retry',
          reason: `the handler went on after a failed statement, which aborted its transaction (${(e as Error).message})`,
        },
        error: e,
      };
    }
  };
  if (delivery.batch) {
    const handle = delivery.handle as (m: Message[], c: unknown) => Promise<BatchOutcome> | BatchOutcome;
    return run((ctx) => handle(messages, ctx), messages.length, 0);
  }
  const handle = delivery.handle as (m: Message, c: unknown) => Promise<Outcome> | Outcome;
  for (let i = 0; i < messages.length; i++) {
    if (signal.aborted) return { acked: i };
    const d = await run((ctx) => handle(messages[i], ctx), 1, i);
    if (d.next) return { ...d, acked: i };
  }
  return { acked: messages.length };
}

/** A handler call's span: linked to the messages' trace contexts (the parent, for one message). */
function deliverySpan(messages: readonly Message[]): SpanOptions {
  const [first] = messages;
  return {
    kind: 'consumer',
    when: 'linked',
    from: messages.map((m) => m.headers),
    parentFromSingle: true,
    attributes: {
      ...messagingSpan('process', 'deliver', first.queue, messages.length),
      'messaging.destination.partition.id': String(first.partition),
      'messaging.message.id': messages.length === 1 ? first.id : undefined,
    },
  };
}

const TIMED_OUT = Symbol('timed out');

/** Calls `fn`, aborting `deadline` and rejecting with TIMED_OUT if it runs past `timeoutMs`. */
async function withDeadline<T>(
  fn: () => Promise<T> | T,
  scope: object,
  deadline: AbortController,
  timeoutMs: number,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      deadline.abort(new Error(timedOutReason(timeoutMs)));
      reject(TIMED_OUT);
    }, timeoutMs);
  });
  try {
    return await Promise.race([handlerScope.run(scope, fn), expired]);
  } finally {
    clearTimeout(timer);
  }
}
