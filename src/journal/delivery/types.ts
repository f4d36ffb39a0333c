/**
 * Public types of the journal's consumers (subscriptions, cursors, cursor workers, reactors,
 * projections), gathered in one place.
 */
import type {
  AppendOptions,
  AppendReceipt,
  Coordinate,
  JournalEvent,
  NewEventOf,
  Region,
  StoredEventOf,
} from '../types.js';

/** Options of {@link Journal.subscribeLossy}. */
export interface LossySubscriptionOptions {
  /** Events buffered for the subscriber before it is marked lagged. Default 1,024. */
  capacity?: number;
}

/** A saved checkpoint, as `Journal.checkpoints()` lists it. */
export interface CheckpointSummary {
  readonly id: string;
  readonly region: Region;
  /** The global position it resumes after. */
  readonly position: number;
  /** `ahead`: it covers events this journal does not have; resuming would throw `CheckpointAhead`. */
  readonly status: 'ok' | 'ahead';
}

/** Options of {@link Journal.cursor}. */
export interface CursorOptions {
  /**
   * Persists the cursor's position under this id (in `<journal>/checkpoints/`) and resumes from it.
   * Letters, digits, `.`, `_` and `-`, at most 128 characters. An id belongs to one region.
   */
  checkpointId?: string;
  /** Where to start when there is no saved checkpoint: after this global position. Default 0. */
  after?: number;
}

/** What a cursor-worker handler tells the worker to do with the batch it was given. */
export type CursorWorkerOutcome =
  /** The batch is handled: commit its end as the new checkpoint and poll on. */
  | 'continue'
  /** The batch is handled: commit its end, then stop. */
  | 'stop'
  /** The batch is not handled: roll back to the last committed checkpoint and stop (it is delivered again next time). */
  | 'stopWithRollback';

/** The outcomes by name, for readable handlers: `return CursorWorkerAction.continue`. */
export const CursorWorkerAction = {
  continue: 'continue',
  stop: 'stop',
  stopWithRollback: 'stopWithRollback',
} as const satisfies Record<CursorWorkerOutcome, CursorWorkerOutcome>;

/**
 * What a cursor worker does when its handler throws: restart from the last committed checkpoint,
 * `once` in its life, or at most `maxRestarts` times within any `withinMs` window. Past the budget the
 * worker stops and `join()` rejects with `RestartBudgetExhausted`.
 */
export type RestartPolicy =
  | { readonly kind: 'once' }
  | { readonly kind: 'bounded'; readonly maxRestarts: number; readonly withinMs: number };

/** Builders of {@link RestartPolicy} values. */
export const RestartPolicy = {
  once: (): RestartPolicy => ({ kind: 'once' }),
  bounded: (maxRestarts: number, withinMs: number): RestartPolicy => ({
    kind: 'bounded',
    maxRestarts,
    withinMs,
  }),
};

/** Configuration of {@link Journal.cursorWorker}. */
export interface CursorWorkerConfig {
  /** Names the worker in errors and logs. Default: the checkpoint id, else `cursor-worker`. */
  name?: string;
  /** Most events handed to the handler at once. Default 64. */
  batchSize?: number;
  /** Durable checkpoint id (see {@link CursorOptions.checkpointId}); without it progress lives in memory. */
  checkpointId?: string;
  /** Where to start when there is no saved checkpoint. Default 0 (the beginning). */
  after?: number;
  /** What to do when the handler throws. Default `once`. */
  restart?: RestartPolicy;
  /** How often a worker on a read-only journal looks for the writer's new events. Default 20 ms. */
  pollIntervalMs?: number;
}

/** What the handler of a cursor worker learns besides its batch. */
export interface CursorWorkerContext {
  /**
   * True when the worker has a durable checkpoint: delivery is at least once across restarts of the
   * process. False for an in-memory worker, whose progress ends with the process.
   */
  readonly durable: boolean;
  /** The position the worker resumes from if this batch is not committed. */
  readonly committed: number;
  /** Aborts when the worker is asked to stop. */
  readonly signal: AbortSignal;
}

/**
 * A cursor worker's handler: gets a batch in global order and says what to do next. An `async`
 * handler should return the {@link CursorWorkerAction} constants: TypeScript widens a bare
 * `'continue'` returned from an async function to `string`. `E` is the event union of the batch
 * (on a typed journal, the members the worker's region selects).
 */
export type CursorWorkerHandler<in E extends JournalEvent = JournalEvent> = (
  batch: StoredEventOf<E>[],
  context: CursorWorkerContext,
) => CursorWorkerOutcome | Promise<CursorWorkerOutcome>;

/** Controls a running cursor worker. */
export interface CursorWorkerHandle {
  readonly name: string;
  /**
   * Global position of the last committed batch's end; for a durable worker, the last one saved on
   * disk (a position whose checkpoint write failed is never reported).
   */
  readonly committed: number;
  /** Times the handler threw and the worker restarted. */
  readonly restarts: number;
  /** Asks the worker to stop after the batch in flight (not waiting). */
  stop(): void;
  /**
   * Waits until the worker has stopped on its own (an outcome said stop, or `stop()` was called) and
   * its last checkpoint is written. Rejects with `CheckpointWriteFailed`, `RestartBudgetExhausted` or
   * another error that stopped it.
   */
  join(): Promise<void>;
  /** `stop()` then `join()`. */
  stopAndJoin(): Promise<void>;
}

/** One follow-up event a reactor wants appended; `E` is the journal's event union. */
export interface Reaction<out E extends JournalEvent = JournalEvent>
  extends Pick<AppendOptions, 'expectedVersion' | 'gates' | 'context' | 'bypass' | 'extensions'> {
  coordinate: Coordinate;
  event: NewEventOf<E>;
}

/**
 * Reacts to one source event; returns the reactions to append (none is fine). On a journal with
 * event union `E`, the handler of type `T` gets that member and returns events of the union.
 */
export type ReactionHandler<E extends JournalEvent = JournalEvent, T extends E['type'] = E['type']> = (
  event: StoredEventOf<E, T>,
) =>
  | Reaction<E>
  | readonly Reaction<E>[]
  | undefined
  | Promise<Reaction<E> | readonly Reaction<E>[] | undefined>;

/**
 * A reactor's handlers by event type. Each key must be a type of the union `E` (with `T`, of those
 * types), and its handler receives that member, narrowed.
 *
 * @example
 * type ShopEvent =
 *   | { type: 'OrderPlaced'; data: { total: number } }
 *   | { type: 'InvoiceRequested'; data: { total: number } };
 * const handlers: ReactionHandlers<ShopEvent> = {
 *   OrderPlaced: (e) => ({
 *     coordinate: billing,
 *     event: { type: 'InvoiceRequested', data: { total: e.data.total } },
 *   }),
 * };
 */
export type ReactionHandlers<E extends JournalEvent = JournalEvent, T extends E['type'] = E['type']> = {
  readonly [K in T]?: ReactionHandler<E, K>;
};

/**
 * Configuration of {@link Journal.reactor}; `E` is the journal's event union and `T` the types
 * handled (inferred from the keys of `handlers`).
 */
export interface ReactorOptions<E extends JournalEvent = JournalEvent, T extends E['type'] = E['type']> {
  /** Names the reactor; its checkpoint id and idempotency keys derive from it, so keep it stable. */
  name: string;
  /** Handlers by event type (each gets the events of its type). */
  handlers: ReactionHandlers<E, T>;
  /** Narrows the source events further (the handled types are always applied). */
  region?: Omit<Region, 'types'>;
  batchSize?: number;
  restart?: RestartPolicy;
  /** Called after a source event's reactions are appended (for logs and metrics). */
  onReactions?: (source: StoredEventOf<E, T>, receipts: readonly AppendReceipt[]) => void;
}

/**
 * A named, versioned fold of events into a state. On a journal with event union `E`, `apply` gets
 * the members of the types `T` its region selects (all of `E` without `region.types`).
 *
 * @example
 * const revenue: Projection<number, ShopEvent, 'OrderPaid'> = {
 *   name: 'revenue',
 *   version: 1,
 *   region: { types: ['OrderPaid'] },
 *   initial: () => 0,
 *   apply: (sum, e) => sum + e.data.amount, // e: the OrderPaid member
 * };
 * // Inline, `journal.project({ ..., region: { types: ['OrderPaid'] }, ... })` infers `T` itself.
 */
export interface Projection<S, E extends JournalEvent = JournalEvent, T extends E['type'] = E['type']> {
  /** Names the projection; its cache is keyed by name, version and entity. */
  name: string;
  /** Bump when `apply` or the state's shape changes: the state is rebuilt from the first event. */
  version: number;
  /** Which events are folded. With `entity` at read time, only that stream's events within it. */
  region?: Region<T>;
  /** The state before any event. */
  initial(): S;
  /** The state after `event`. May return a new value or update and return `state`. */
  apply(state: S, event: StoredEventOf<E, T>): S;
  /** Where states are cached: `memory` (default) or also `disk` (MessagePack, survives restarts). */
  cache?: 'memory' | 'disk';
}

/**
 * `consistent`: includes every event visible now (applies what the cache lacks).
 * `maybe-stale`: whatever is cached, without reading the journal (built once if nothing is).
 */
export type Freshness = 'consistent' | 'maybe-stale';

/** Options of {@link Journal.project}. */
export interface ProjectOptions {
  /** Fold only this stream. */
  entity?: string;
  /** Default `consistent`. */
  freshness?: Freshness;
}

/** A projection's state and how far it has applied the journal. */
export interface ProjectionState<S> {
  readonly state: S;
  /** Global position of the last event the state has seen (0 = none). */
  readonly position: number;
}

/** Options of {@link Journal.sinkTo}. */
export interface SinkRelayOptions {
  /** The events relayed. Default: all. A sink that keeps positions itself (a NATS mirror) takes all. */
  region?: Region;
  /** The relay's durable checkpoint; required unless the sink keeps positions itself. */
  checkpointId?: string;
  /** Names the relay in logs. Default `sink:<checkpointId or sink name>`. */
  name?: string;
  /** Events per publish. Default 256. */
  batchSize?: number;
  /** Delay before retry n of a failed publish: `initialMs * multiplier^(n-1)` (±10%), at most `maxMs`. Default 100 ms, 30 s, 2. */
  retryBackoff?: { initialMs?: number; maxMs?: number; multiplier?: number };
  /** Called for each failed publish (before its retry, or before the relay stops). Keep it quick; what it throws is logged. */
  onError?: (error: unknown, context: SinkFailureContext) => void;
}

/** Where a relay's publish failed. */
export interface SinkFailureContext {
  readonly sink: string;
  readonly worker: string;
  /** Which attempt at the batch failed (1 for the first). */
  readonly attempt: number;
  /** The first event not acknowledged. */
  readonly position?: number;
}

/** A running relay from the journal to a sink. */
export interface SinkRelayHandle extends CursorWorkerHandle {
  /** How far the broker has acknowledged, and how far behind the journal that is. */
  stats(): Promise<SinkRelayStats>;
}

/** A relay's progress, as {@link SinkRelayHandle.stats} reports it. */
export interface SinkRelayStats {
  readonly sink: string;
  /** Events the broker acknowledged through this relay, since it started. */
  readonly published: number;
  /** Failed publishes tried again. */
  readonly retries: number;
  /** The last position acknowledged (or passed over, outside the region). */
  readonly position: number;
  /** Visible events after `position`: how far the broker is behind the journal. */
  readonly lag: number;
  /** True while the last publish failed and is being tried again. */
  readonly failing: boolean;
  readonly lastError: string | null;
  readonly lastPublishedAt: Date | null;
}
