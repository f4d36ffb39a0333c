import type { Logger } from '../logger.js';
/**
 * Public types of the outbox, gathered in one place.
 */
import type { SqlExecutor } from '../sql/index.js';

/** A JSON value, as a payload may be. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A message to enqueue. */
export interface NewMessage {
  /** Bytes (stored as given) or any JSON-serializable value (delivered parsed); checked at enqueue. */
  payload: Uint8Array | JsonValue | Readonly<Record<string, unknown>> | readonly unknown[];
  /** What the payload is, for handlers and filters (`OrderPlaced`, `email.v2`). 1 to 200 characters. */
  type: string;
  /** Routes the message: the same key always lands on the same partition. Up to 255 characters. */
  key?: string;
  /** An explicit partition (0-based), instead of hashing `key`. */
  partition?: number;
  /** Small string metadata carried with the message. */
  headers?: Record<string, string>;
  /** A message whose dedupe key was already enqueued on this queue is skipped. Up to 255 characters. */
  dedupeKey?: string;
  /**
   * The message id (a UUID); generated (UUIDv7) when absent. Ids are not checked for uniqueness:
   * to make a retried enqueue harmless, give a `dedupeKey`.
   */
  id?: string;
}

/** What an enqueue did with one message. */
export interface Enqueued {
  /** The message id; for a duplicate, the id of the message that holds the dedupe key. */
  readonly id: string;
  readonly queue: string;
  readonly partition: number;
  /** True when the dedupe key was already used, so nothing was written for this message. */
  readonly duplicate: boolean;
}

/** A message as a handler receives it. */
export interface Message<P = unknown> {
  readonly id: string;
  readonly queue: string;
  readonly partition: number;
  /** Position in its partition: contiguous from 1, in commit order. */
  readonly seq: number;
  readonly type: string;
  readonly key: string | null;
  /** The bytes given, or the JSON value parsed. */
  readonly payload: P;
  readonly headers: Readonly<Record<string, string>>;
  readonly enqueuedAt: Date;
  /** Earlier failed attempts at this message. */
  readonly attempts: number;
}

/** What a handler decided about a message. Build with {@link Result}. */
export type Outcome =
  /** Done: acknowledge it. */
  | { readonly kind: 'ok' }
  /** Try again later (after `delayMs`, or the queue's backoff); counts toward `maxAttempts`. */
  | { readonly kind: 'retry'; readonly delayMs?: number; readonly reason?: string }
  /** Never deliverable: move it to the dead letters and go on with the partition. */
  | { readonly kind: 'reject'; readonly reason: string };

/** A batch handler's decision: an outcome for the whole batch, or for a prefix of it. */
export type BatchOutcome =
  | Outcome
  /** The first `acked` messages are done; `next` (default: deliver again later) applies to the one after. */
  | { readonly kind: 'partial'; readonly acked: number; readonly next?: Exclude<Outcome, { kind: 'ok' }> };

/** What a leased (at-least-once) handler gets besides the message. */
export interface LeasedContext {
  readonly queue: string;
  readonly partition: number;
  /** Aborts when the lease is lost or about to run out, or the outbox stops. */
  readonly signal: AbortSignal;
  /** Extends the lease now (it is also extended automatically while the handler runs). */
  heartbeat(): Promise<void>;
}

/** What a transactional (exactly-once) handler gets: the transaction that will acknowledge. */
export interface TransactionalContext {
  readonly queue: string;
  readonly partition: number;
  /** Runs SQL in the acknowledging transaction (`?` placeholders). */
  readonly tx: SqlExecutor;
  /** The driver's own connection in that transaction (pg PoolClient, mysql2 PoolConnection, better-sqlite3 Database). */
  readonly client: unknown;
  readonly signal: AbortSignal;
}

type Awaitable<T> = T | Promise<T>;

/** How a queue's messages are delivered; build with `leased`, `leasedBatch`, `transactional` or `transactionalBatch`. */
export type Delivery =
  | {
      readonly mode: 'leased';
      readonly batch: false;
      readonly handle: (m: Message, ctx: LeasedContext) => Awaitable<Outcome>;
      readonly options: DeliveryOptions;
    }
  | {
      readonly mode: 'leased';
      readonly batch: true;
      readonly handle: (m: Message[], ctx: LeasedContext) => Awaitable<BatchOutcome>;
      readonly options: DeliveryOptions;
    }
  | {
      readonly mode: 'transactional';
      readonly batch: false;
      readonly handle: (m: Message, ctx: TransactionalContext) => Awaitable<Outcome>;
      readonly options: DeliveryOptions;
    }
  | {
      readonly mode: 'transactional';
      readonly batch: true;
      readonly handle: (m: Message[], ctx: TransactionalContext) => Awaitable<BatchOutcome>;
      readonly options: DeliveryOptions;
    };

/** How a queue's processors behave. */
export interface DeliveryOptions {
  /** Messages read per run (and the most a batch handler gets). Default from the profile. */
  batchSize?: number;
  /**
   * Failed attempts after which a message is dead-lettered. Default 10; `Infinity` never. A delivery
   * whose process dies mid-handler counts as an attempt too.
   *
   * A failing message holds its partition (later messages wait, to keep their order) for the sum of
   * its retry delays. With the defaults, 1 s doubling to at most 60 s, that is
   * 1 + 2 + 4 + 8 + 16 + 32 + 60 + 60 + 60 s, about 4 minutes, before the dead letter frees it. Each
   * queue has its own delivery options: lower `maxAttempts` or `retryBackoff.maxMs` where a blocked
   * partition costs more than a message given up early.
   */
  maxAttempts?: number;
  /** Delay before retry n: `initialMs * multiplier^(n-1)`, at most `maxMs`. Default 1 s, 60 s, 2. */
  retryBackoff?: { initialMs?: number; maxMs?: number; multiplier?: number };
  /** Leased mode: how long a lease lasts without a heartbeat. Default 30 s. */
  leaseMs?: number;
  /**
   * How long one handler call (a message, or a batch) may run. Past it the call's signal aborts and
   * the attempt counts as failed; a transactional call's transaction is rolled back and its
   * connection closed, so the handler must not go on using `ctx.client`. Default 5 minutes.
   */
  handlerTimeoutMs?: number;
}

/** A queue this process declares: its partition count and, when it processes it here, its delivery. */
export interface QueueDeclaration {
  partitions: number;
  delivery?: Delivery;
}

/** Batch sizes and intervals of the background workers. */
export interface Tuning {
  /** Messages the sequencer moves per partition per transaction. */
  sequencerBatch: number;
  /** Default processor batch size. */
  processorBatch: number;
  /** Partitions one sequencer run takes. */
  partitionBatchLimit: number;
  /** How often the reconciler looks for work left by crashes or other processes. */
  pollIntervalMs: number;
  /** How often vacuum runs while there is nothing to delete. */
  vacuumIntervalMs: number;
  /** Delivered rows vacuum deletes per statement. */
  vacuumChunk: number;
}

/** Everything the outbox is configured with. */
export interface OutboxOptions {
  /** Table-name prefix: lower-case letters, digits and `_`, starting with a letter. Default `outbox`. */
  prefix?: string;
  /**
   * `auto` (default) applies missing migrations (and on SQLite switches the file to WAL); `verify`
   * only checks the schema is current and changes nothing: a missing SQLite file is an error and its
   * journal mode is left as it is.
   */
  migrate?: 'auto' | 'verify';
  queues?: Record<string, QueueDeclaration>;
  /** Partition processors running at once, across queues. Default 4. */
  processors?: number;
  /** Sequencer permits: `guaranteed` for sequencers only, `shared` also used by vacuum. Default 2 and 1. */
  maintenance?: { guaranteed: number; shared: number };
  tuning?: Partial<Tuning>;
  /** Largest payload in bytes. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** How long dedupe keys are remembered. Default 7 days. */
  dedupeRetentionMs?: number;
  /** Where the outbox reports failures, retries, dead letters and reconnections (pino-compatible). */
  logger?: Logger;
  /**
   * Called for each handler that threw (or ran past its deadline) and each background failure, with
   * where it happened. Called synchronously: keep it quick. What it throws is logged and ignored.
   */
  onError?: (error: unknown, context: FailureContext) => void;
  /** Called for each message this process moves to the dead letters. */
  onDeadLetter?: (letter: DeadLettered) => void;
  /**
   * Stop gracefully on SIGTERM and SIGINT (handlers finish, leases are given back so other
   * processes take over at once), then let the signal end the process. Default false: without it,
   * call `stop()` from your own signal handling, or the leases lapse only after `leaseMs`.
   */
  stopOnSignals?: boolean;
  /** This process's name in leases. Default host:pid:random. */
  owner?: string;
}

/** Where an outbox failure happened, as `onError` and the log hear of it. */
export interface FailureContext {
  /** The background worker (`sequencer-0`, `processor-emails-3`, `reconciler`, ...). */
  readonly worker?: string;
  readonly queue?: string;
  readonly partition?: number;
  readonly messageId?: string;
  readonly seq?: number;
  /** Which attempt at the message failed (1 for the first). */
  readonly attempt?: number;
}

/** A message this process moved to the dead letters. */
export interface DeadLettered {
  readonly queue: string;
  readonly partition: number;
  readonly seq: number;
  readonly messageId: string;
  readonly type: string;
  readonly attempts: number;
  readonly reason: string;
}

/** One queue's health, from the database (all processes) and this process's counters. */
export interface QueueStats {
  readonly queue: string;
  readonly partitions: number;
  /** Enqueued, not yet sequenced. */
  readonly pending: number;
  /** Sequenced, not yet acknowledged: how far the processors are behind. */
  readonly lag: number;
  /** Everything not yet delivered (`pending + lag`). */
  readonly depth: number;
  /** Age of the oldest undelivered message, by the database clock; 0 when empty. */
  readonly oldestAgeMs: number;
  /** Partitions whose head message has failed at least once. */
  readonly retryingPartitions: number;
  /**
   * Partitions whose acknowledged position is past their last message (changed by hand, or a
   * database restored from an older backup): messages enqueued there are skipped until the
   * sequence catches up. Should be 0; each is also logged as an error.
   */
  readonly cursorsAhead: number;
  /**
   * The sum of the partitions' acknowledged positions. It grows by one for each message delivered
   * or dead-lettered by any process, so its rate of change is the queue's throughput across all of
   * them (where `throughputPerSec` counts this process only).
   */
  readonly acknowledgedPosition: number;
  readonly deadLetters: number;
  /** This process: messages acknowledged, retries scheduled, messages dead-lettered, lost leases. */
  readonly delivered: number;
  readonly retries: number;
  readonly rejected: number;
  readonly leasesLost: number;
  /** This process: acknowledged messages per second over the last 10 seconds. */
  readonly throughputPerSec: number;
  /** This process: how long handler calls (a message, or a batch) took. */
  readonly handlerDuration: DurationHistogram;
}

/** Options of {@link Outbox.partitions}. */
export interface PartitionStateOptions {
  /** The first partition listed. Default 0. */
  readonly from?: number;
  /** Most partitions listed, 1 to 10,000. Default 1,000. */
  readonly limit?: number;
  /**
   * A partition whose oldest waiting message is older than this is stuck, whatever its lease says.
   * Default 60,000 ms.
   */
  readonly stuckAfterMs?: number;
}

/** One partition of a queue: how far it is sequenced and delivered, who holds it, whether it moves. */
export interface PartitionState {
  readonly partition: number;
  /** The last sequence number given to a message (0 before the first). */
  readonly sequenced: number;
  /** The last sequence number delivered or dead-lettered. */
  readonly acknowledged: number;
  /** Enqueued here, not yet sequenced. */
  readonly pending: number;
  /** Sequenced, not yet acknowledged. */
  readonly undelivered: number;
  /**
   * The process holding the partition's lease, or null when none holds it. Leased delivery (and
   * any delivery on SQLite) takes leases; transactional delivery on PostgreSQL and MySQL holds a
   * partition with a row lock for one handler transaction instead, which no other session sees.
   */
  readonly leaseOwner: string | null;
  /** How long the lease has left, by the database clock; null when none is held. */
  readonly leaseExpiresInMs: number | null;
  /** Failed deliveries of the head message so far. */
  readonly attempts: number;
  /** When the head message is tried again, by the database clock; null when no retry waits. */
  readonly retryInMs: number | null;
  readonly lastError: string | null;
  /** Age of the oldest message waiting here (pending or undelivered); 0 when none waits. */
  readonly oldestAgeMs: number;
  /**
   * Why the partition is not moving, or null when it is: `retrying` (its head message has failed),
   * `waiting` (a message has waited longer than `stuckAfterMs`), `ahead` (its acknowledged position
   * is past its last message; see {@link QueueStats.cursorsAhead}).
   */
  readonly stuck: 'retrying' | 'waiting' | 'ahead' | null;
}

/** A histogram of durations in seconds: cumulative counts per upper bound, as Prometheus has them. */
export interface DurationHistogram {
  /** Calls that took at most `le` seconds; a call past the last bound is only in `count`. */
  readonly buckets: readonly { readonly le: number; readonly count: number }[];
  readonly sum: number;
  readonly count: number;
}

/** A dead letter: a message with where it was and why it failed. */
export interface DeadLetter<P = unknown> extends Omit<Message<P>, 'attempts'> {
  /** The dead letter's own id (dead letters are listed and removed by it). */
  readonly deadLetterId: number;
  readonly failedAt: Date;
  readonly attempts: number;
  readonly lastError: string | null;
}

/** Which dead letters an operation applies to; every field narrows it. */
export interface DeadLetterFilter {
  queue?: string;
  partition?: number;
  type?: string;
  /** Only those that failed at least this long ago. */
  olderThanMs?: number;
  ids?: readonly number[];
}
