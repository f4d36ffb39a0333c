import type { ReceiptVerification, SignableReceipt } from '../gates/types.js';
import type { Sink } from '../sink.js';
import type {
  CursorWorkerConfig,
  CursorWorkerHandle,
  CursorWorkerHandler,
  Projection,
  ProjectionState,
  ProjectOptions,
  ReactorOptions,
  SinkRelayHandle,
  SinkRelayOptions,
} from './delivery/types.js';
import type {
  AppendOptions,
  AppendReceipt,
  BatchItem,
  BatchOptions,
  Coordinate,
  EffectsOptions,
  EffectTree,
  EventOfType,
  JournalEvent,
  JournalStats,
  NewEventOf,
  ReadAllOptions,
  ReadPage,
  ReadStreamOptions,
  Region,
  StoredEventOf,
  StreamSummary,
  VerifyOptions,
  VerifyResult,
  Watermark,
  Watermarks,
} from './types.js';

/**
 * The journal as every backend offers it, every call asynchronous: application code and consumers
 * written against it run on the embedded journal (`journal.async`) and on a journal kept in a
 * database alike. Semantics are the embedded journal's; see its methods of the same names.
 *
 * `E` is the application's event union, as for `Journal<E>`.
 */
export interface AsyncJournal<E extends JournalEvent = JournalEvent> {
  /** Appends one event; resolves with its receipt once it has a position. */
  append<C>(coordinate: Coordinate, event: NewEventOf<E>, options?: AppendOptions<C>): Promise<AppendReceipt>;
  /** Appends several events, across streams, all or none; receipts in item order. */
  appendBatch(items: readonly BatchItem<E>[], options?: BatchOptions): Promise<AppendReceipt[]>;
  get<Sub extends E = E>(id: string): Promise<StoredEventOf<Sub> | undefined>;
  /** The stream's last version (0-based), or undefined for a stream with no events. */
  streamVersion(entity: string): Promise<number | undefined>;
  readStream<Sub extends E = E>(entity: string, options?: ReadStreamOptions): Promise<StoredEventOf<Sub>[]>;
  readAll<T extends E['type'] = E['type']>(options?: ReadAllOptions<T>): Promise<ReadPage<EventOfType<E, T>>>;
  causes(id: string): Promise<StoredEventOf<E>[]>;
  effects(id: string, options?: EffectsOptions): Promise<EffectTree<E>>;
  correlated(correlationId: string): Promise<StoredEventOf<E>[]>;
  walkAncestors<Sub extends E = E>(id: string, options?: { limit?: number }): Promise<StoredEventOf<Sub>[]>;
  streams(options?: { entityPrefix?: string }): Promise<StreamSummary[]>;
  stats(): Promise<JournalStats>;
  watermarks(): Promise<Watermarks>;
  waitFor(mark: Watermark, position: number, options?: { timeoutMs?: number }): Promise<void>;
  verify(options?: VerifyOptions): Promise<VerifyResult>;
  verifyReceipt(receipt: SignableReceipt): Promise<ReceiptVerification>;
  receiptFor(id: string): Promise<AppendReceipt>;
  cursorWorker<T extends E['type'] = E['type']>(
    region: Region<T>,
    config: CursorWorkerConfig,
    handler: CursorWorkerHandler<EventOfType<E, T>>,
  ): CursorWorkerHandle;
  reactor<T extends E['type']>(options: ReactorOptions<E, T>): CursorWorkerHandle;
  /** Relays events to a broker through a sink, checkpointing after each acknowledged batch. */
  sinkTo(sink: Sink, options?: SinkRelayOptions): SinkRelayHandle;
  project<S, T extends E['type'] = E['type']>(
    projection: Projection<S, E, T>,
    options?: ProjectOptions,
  ): Promise<ProjectionState<S>>;
  close(): Promise<void>;
}

/** The embedded journal's synchronous methods that {@link AsyncJournal} mirrors. */
export interface SyncJournalMethods<E extends JournalEvent> {
  appendAsync<C>(
    coordinate: Coordinate,
    event: NewEventOf<E>,
    options?: AppendOptions<C>,
  ): Promise<AppendReceipt>;
  appendBatchAsync(items: readonly BatchItem<E>[], options?: BatchOptions): Promise<AppendReceipt[]>;
  get<Sub extends E = E>(id: string): StoredEventOf<Sub> | undefined;
  streamVersion(entity: string): number | undefined;
  readStream<Sub extends E = E>(entity: string, options?: ReadStreamOptions): StoredEventOf<Sub>[];
  readAll<T extends E['type'] = E['type']>(options?: ReadAllOptions<T>): ReadPage<EventOfType<E, T>>;
  causes(id: string): StoredEventOf<E>[];
  effects(id: string, options?: EffectsOptions): EffectTree<E>;
  correlated(correlationId: string): StoredEventOf<E>[];
  walkAncestors<Sub extends E = E>(id: string, options?: { limit?: number }): StoredEventOf<Sub>[];
  streams(options?: { entityPrefix?: string }): StreamSummary[];
  stats(): JournalStats;
  watermarks(): Watermarks;
  waitFor(mark: Watermark, position: number, options?: { timeoutMs?: number }): Promise<void>;
  verifyYielding(options?: VerifyOptions): Promise<VerifyResult>;
  verifyReceipt(receipt: SignableReceipt): ReceiptVerification;
  receiptFor(id: string): AppendReceipt;
  cursorWorker: AsyncJournal<E>['cursorWorker'];
  reactor: AsyncJournal<E>['reactor'];
  sinkTo: AsyncJournal<E>['sinkTo'];
  project<S, T extends E['type'] = E['type']>(
    projection: Projection<S, E, T>,
    options?: ProjectOptions,
  ): ProjectionState<S>;
  close(): void;
}

/**
 * {@link AsyncJournal} over a synchronous journal. A synchronous failure becomes a rejected promise,
 * so callers handle errors one way on every backend.
 */
export function asyncView<E extends JournalEvent>(j: SyncJournalMethods<E>): AsyncJournal<E> {
  const later =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    async (...args: A): Promise<Awaited<R>> =>
      fn(...args) as Awaited<R>;
  return {
    append: (coordinate, event, options) => j.appendAsync(coordinate, event, options),
    appendBatch: (items, options) => j.appendBatchAsync(items, options),
    get: later((id: string) => j.get(id)) as AsyncJournal<E>['get'],
    streamVersion: later((entity: string) => j.streamVersion(entity)),
    readStream: later((entity: string, options?: ReadStreamOptions) =>
      j.readStream(entity, options),
    ) as AsyncJournal<E>['readStream'],
    readAll: later((options?: ReadAllOptions) =>
      j.readAll(options as ReadAllOptions<E['type']>),
    ) as AsyncJournal<E>['readAll'],
    causes: later((id: string) => j.causes(id)),
    effects: later((id: string, options?: EffectsOptions) => j.effects(id, options)),
    correlated: later((id: string) => j.correlated(id)),
    walkAncestors: later((id: string, options?: { limit?: number }) =>
      j.walkAncestors(id, options),
    ) as AsyncJournal<E>['walkAncestors'],
    streams: later((options?: { entityPrefix?: string }) => j.streams(options)),
    stats: later(() => j.stats()),
    watermarks: later(() => j.watermarks()),
    waitFor: (mark, position, options) => j.waitFor(mark, position, options),
    verify: (options?: VerifyOptions) => j.verifyYielding(options), // a server goes on answering
    verifyReceipt: later((receipt: SignableReceipt) => j.verifyReceipt(receipt)),
    receiptFor: later((id: string) => j.receiptFor(id)),
    cursorWorker: (region, config, handler) => j.cursorWorker(region, config, handler),
    reactor: (options) => j.reactor(options),
    sinkTo: (sink, options) => j.sinkTo(sink, options),
    project: later((projection, options) => j.project(projection, options)) as AsyncJournal<E>['project'],
    close: later(() => j.close()),
  };
}
