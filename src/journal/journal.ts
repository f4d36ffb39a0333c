import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CausewayError,
  CheckpointAhead,
  CorruptData,
  EventNotFound,
  InvalidArgument,
  IoError,
  JournalClosed,
  JournalFailed,
  JournalReadOnly,
} from '../errors.js';
import { validateDenial } from '../gates/gate.js';
import { type GuardReceipt, redeemGuardReceipt } from '../gates/guard-receipt.js';
import { ReceiptKeyring } from '../gates/keys.js';
import type { Denial, ReceiptVerification, SignableReceipt } from '../gates/types.js';
import { type Logger, silentLogger } from '../logger.js';
import type { Sink } from '../sink.js';
import { checkOptions, isTimerDelay, keys, MAX_TIMER_MS } from '../validation.js';
import { inAppendSpan } from './append-span.js';
import { type EventRecord, encodeBatchMarker, FrameKind } from './codec.js';
import { type AsyncJournal, asyncView } from './contract.js';
import { validateEntity } from './coordinate.js';
import { listCheckpoints, resetCheckpointFile, validateCheckpointId } from './delivery/checkpoint-file.js';
import { Cursor, checkAgainstJournal, checkpointDir } from './delivery/cursor.js';
import { startCursorWorker } from './delivery/cursor-worker.js';
import type { LossySubscription } from './delivery/lossy-subscription.js';
import { Projections } from './delivery/projections.js';
import { startReactor } from './delivery/reactor.js';
import { relayToSink } from './delivery/sink-relay.js';
import { SubscriptionHub } from './delivery/subscription-hub.js';
import type {
  CheckpointSummary,
  CursorOptions,
  CursorWorkerConfig,
  CursorWorkerHandle,
  CursorWorkerHandler,
  LossySubscriptionOptions,
  Projection,
  ProjectionState,
  ProjectOptions,
  ReactorOptions,
  SinkRelayHandle,
  SinkRelayOptions,
} from './delivery/types.js';
import { Durability } from './durability.js';
import { encodeEventFrame } from './event-frame.js';
import { computeEventHash } from './event-hash.js';
import { ZERO_HASH } from './hash.js';
import { idFromString, idToString, tryIdFromString } from './ids.js';
import { imageOf } from './index/index-snapshot.js';
import type { JournalIndex } from './index/journal-index.js';
import { scanRegion } from './index/region-scan.js';
import { loadIndex, refuseOrphanSnapshot } from './open-index.js';
import { PayloadVersions } from './payload-versions.js';
import { EventReader } from './read/event-reader.js';
import { checkLimit, effectsOptions, readAllOptions, readStreamOptions } from './read/read-options.js';
import { ReceiptSigner, receiptOf, verifyAgainstRecord } from './receipts.js';
import { scanSegments } from './recovery.js';
import { validateRegion } from './region.js';
import { SnapshotSchedule } from './snapshot-schedule.js';
import { frameOf, MAX_FRAME_BYTES } from './storage/frame.js';
import { WriterLock } from './storage/lock.js';
import {
  ActiveSegment,
  listSegments,
  SEGMENT_HEADER_BYTES,
  SegmentFiles,
  segmentPath,
  syncDir,
} from './storage/segment.js';
import { writeSnapshot } from './storage/snapshot-file.js';
import type {
  AppendOptions,
  AppendProposal,
  AppendReceipt,
  BatchItem,
  BatchOptions,
  Coordinate,
  EffectsOptions,
  EffectTree,
  EventOfType,
  JournalEvent,
  JournalOptions,
  JournalStats,
  NewEvent,
  NewEventOf,
  OpenReport,
  PayloadVersionDeclaration,
  ReadAllOptions,
  ReadOnlyOptions,
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
import { breakOf, verifyJournal, verifyJournalYielding } from './verify.js';
import { WatermarkTracker } from './watermarks.js';
import type { Grant } from './write/guard.js';
import { AppendPlanner, type PreparedEvent, validateBatch } from './write/prepare.js';

type WriterOptions = Required<Omit<JournalOptions, 'receiptKeys' | 'logger'>>;

const DEFAULTS: WriterOptions = {
  segmentMaxBytes: 64 << 20,
  maxEventBytes: 1 << 20,
  fsyncIntervalMs: 100,
  snapshotEveryEvents: 250_000,
  requireGates: false,
};

/** Type of the events {@link Journal.appendDenial} records. */
export const DENIAL_EVENT_TYPE = 'causeway.denied';

/** Writer-only state. */
interface WriterState {
  lock: WriterLock;
  active: ActiveSegment;
  durability: Durability;
  options: WriterOptions;
  snapshots: SnapshotSchedule;
  failure: unknown;
}

/**
 * An embedded, append-only event journal in a directory. One writer per directory (across
 * processes); any number of read-only readers beside it. Appends and reads are synchronous; only
 * waiting for durability or for watermarks is asynchronous.
 *
 * `E` is the application's event union, each member a {@link JournalEvent} `{ type, data }`. Appends
 * accept only its members (a wrong type name or payload shape does not compile); reads, the causal
 * graph, subscriptions, cursors, workers, reactors and projections return them as a discriminated
 * union ({@link StoredEventOf}), so testing `type` narrows `data`. Reads over a region with `types`
 * return only those members. The default, `JournalEvent`, is the untyped journal: any type name,
 * `data: unknown`. The union is a compile-time statement by the application: nothing is checked at
 * run time, and events appended before the union changed are read back as they were written. A
 * journal that records denials ({@link appendDenial}) should include {@link DenialEvent} in it.
 *
 * @example
 * type ShopEvent =
 *   | { type: 'OrderPlaced'; data: { total: number } }
 *   | { type: 'OrderPaid'; data: { amount: number } };
 *
 * const journal = open<ShopEvent>('./data/journal');
 * journal.append(order, { type: 'OrderPlaced', data: { total: 42 } });
 * // journal.append(order, { type: 'OrderShipped', data: {} });      // does not compile
 * for (const e of journal.readStream('order:507')) {
 *   if (e.type === 'OrderPaid') console.log(e.data.amount);
 * }
 * const revenue = journal.project({
 *   name: 'revenue',
 *   version: 1,
 *   region: { types: ['OrderPaid'] },
 *   initial: () => 0,
 *   apply: (sum, e) => sum + e.data.amount, // e: the OrderPaid member
 * });
 *
 * A typed journal goes wherever an untyped `Journal` is expected (`E` is declared covariant, `out`);
 * an untyped journal, or one of another union, is not a `Journal<ShopEvent>`.
 */
// `out`: TypeScript cannot measure E's variance through the conditional types of the signatures
// (it would find Journal<A> and Journal<B> interchangeable); methods taking E stay bivariant.
export class Journal<out E extends JournalEvent = JournalEvent> {
  private closed = false;
  private readonly files: SegmentFiles;
  private readonly reader: EventReader;
  /** Where a read-only journal resumes scanning. */
  private scanFrom: { segment: number; offset: number };
  private segmentCount: number;
  private readonly versions = new PayloadVersions();
  private readonly commitListeners = new Set<(visible: number) => void>();
  /** A read-only journal looks for its writer's progress while someone listens for commits. */
  private followTimer: NodeJS.Timeout | null = null;
  private hub: SubscriptionHub | null = null;
  private projectionsOf: Projections | null = null;
  private readonly signer: ReceiptSigner | null;
  /** A reader: how far it has fsynced its writer's segments itself (see `makeDurable`). */
  private readerDurable = 0;

  private constructor(
    /** The journal directory. */
    readonly dir: string,
    private readonly index: JournalIndex,
    private readonly report: OpenReport,
    private readonly writer: WriterState | null,
    private readonly pollIntervalMs: number,
    scanFrom: { segment: number; offset: number },
    segmentCount: number,
    private readonly keys: ReceiptKeyring | null,
    private readonly log: Logger,
    private readonly marks: WatermarkTracker = new WatermarkTracker(),
  ) {
    this.files = new SegmentFiles(dir);
    this.reader = new EventReader(this.files, index, dir);
    this.scanFrom = scanFrom;
    this.segmentCount = segmentCount;
    this.signer = keys?.signingKeyId ? new ReceiptSigner(keys) : null;
    for (const mark of ['accepted', 'written', 'durable', 'visible'] as const)
      this.marks.advance(mark, index.count);
  }

  /**
   * Opens (creating if needed) the journal in `dir` as its one writer. `E` is the application's event
   * union (see {@link Journal}); without it the journal is untyped.
   */
  static open<E extends JournalEvent = JournalEvent>(dir: string, options: JournalOptions = {}): Journal<E> {
    const opts = validateOptions(options);
    const keys = keyringOf(options.receiptKeys);
    const logger = options.logger ?? silentLogger;
    return asCausewayError('open journal', dir, () => Journal.openWriter<E>(dir, opts, keys, logger));
  }

  private static openWriter<E extends JournalEvent>(
    dir: string,
    opts: WriterOptions,
    keys: ReceiptKeyring | null,
    logger: Logger,
  ): Journal<E> {
    makeDirectory(dir);
    const lock = WriterLock.acquire(dir);
    try {
      const started = performance.now();
      let segments = listSegments(dir);
      const created = segments.length === 0;
      if (created) {
        ActiveSegment.create(dir, 1, preallocateStep(opts)).close();
        segments = [1];
      }
      const loaded = loadIndex(dir, segments, created);
      segments = loaded.segments;
      const outcome = scanSegments(dir, segments, loaded.index, loaded.from, 'writer');
      if (outcome.cutAt !== null) {
        const file = segmentPath(dir, outcome.segment);
        fs.truncateSync(file, outcome.cutAt);
        syncDir(dir);
      }
      const active = ActiveSegment.resume(dir, outcome.segment, outcome.offset, preallocateStep(opts));
      const report: OpenReport = {
        path: loaded.path,
        snapshotRejected: loaded.rejected,
        eventsScanned: outcome.eventsScanned,
        truncatedBytes: outcome.discardedBytes,
        discardedBatchEvents: outcome.discardedBatchEvents,
        segments: segments.length,
        events: loaded.index.count,
        durationMs: performance.now() - started,
      };
      const marks = new WatermarkTracker();
      const writer: WriterState = {
        lock,
        active,
        durability: new Durability(marks, () => writer.active, opts.fsyncIntervalMs),
        options: opts,
        snapshots: new SnapshotSchedule(opts.snapshotEveryEvents, logger, dir, {
          covered: report.path === 'snapshot' ? loaded.index.count - outcome.eventsScanned : 0,
          since: report.path === 'snapshot' ? outcome.eventsScanned : loaded.index.count,
        }),
        failure: null,
      };
      return new Journal(dir, loaded.index, report, writer, 0, outcome, segments.length, keys, logger, marks);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /**
   * Opens a journal for reading beside its writer (in this or another process). It sees a consistent
   * prefix (never part of a batch, never a torn write) and moves forward with {@link catchUp}. `E` is
   * the application's event union (see {@link Journal}); without it the journal is untyped.
   */
  static openReadOnly<E extends JournalEvent = JournalEvent>(
    dir: string,
    options: ReadOnlyOptions = {},
  ): Journal<E> {
    checkOptions(options, READ_ONLY_OPTIONS, 'read-only journal option');
    const pollIntervalMs = options.pollIntervalMs ?? 20;
    if (!isTimerDelay(pollIntervalMs, 1))
      throw new InvalidArgument(`pollIntervalMs must be from 1 to ${MAX_TIMER_MS}`, { pollIntervalMs });
    const keys = keyringOf(options.receiptKeys);
    const logger = options.logger ?? silentLogger;
    return asCausewayError('open journal', dir, () =>
      Journal.openReader<E>(dir, pollIntervalMs, keys, logger),
    );
  }

  private static openReader<E extends JournalEvent>(
    dir: string,
    pollIntervalMs: number,
    keys: ReceiptKeyring | null,
    logger: Logger,
  ): Journal<E> {
    const started = performance.now();
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory())
      throw new InvalidArgument(`journal path ${dir} is not a directory`, { dir });
    const listed = fs.existsSync(dir) ? listSegments(dir) : [];
    if (listed.length === 0) {
      refuseOrphanSnapshot(dir);
      throw new InvalidArgument(`no journal in ${dir}`, { dir });
    }
    const loaded = loadIndex(dir, listed, false);
    const segments = loaded.segments;
    const outcome = scanSegments(dir, segments, loaded.index, loaded.from, 'reader');
    const report: OpenReport = {
      path: loaded.path,
      snapshotRejected: loaded.rejected,
      eventsScanned: outcome.eventsScanned,
      truncatedBytes: 0,
      discardedBatchEvents: 0,
      segments: segments.length,
      events: loaded.index.count,
      durationMs: performance.now() - started,
    };
    return new Journal(
      dir,
      loaded.index,
      report,
      null,
      pollIntervalMs,
      outcome,
      segments.length,
      keys,
      logger,
    );
  }

  /**
   * This journal as an {@link AsyncJournal}: the interface every backend offers, so code written
   * against it runs here and on a journal kept in a database alike.
   */
  get async(): AsyncJournal<E> {
    this.asyncViewOf ??= asyncView<E>(this);
    return this.asyncViewOf;
  }
  private asyncViewOf: AsyncJournal<E> | undefined;

  /** True for a journal opened with {@link openReadOnly}. */
  get readOnly(): boolean {
    return this.writer === null;
  }

  // ---------------------------------------------------------------- writing

  /**
   * Appends one event. The event is handed to the OS before this returns (and fsynced first when
   * `durable`); the receipt says where it landed. Invalid input throws and changes nothing. The event
   * must be a member of the journal's union `E` (any `{ type, data }` on an untyped journal).
   */
  append<C>(coordinate: Coordinate, event: NewEventOf<E>, options?: AppendOptions<C>): AppendReceipt {
    return this.signed([this.appendGranted(coordinate, event, options, undefined)])[0];
  }

  /** Appends and returns the receipt, unsigned. */
  private appendGranted<C>(
    coordinate: Coordinate,
    event: NewEvent,
    options: AppendOptions<C> | undefined,
    grant: Grant | undefined,
  ): AppendReceipt {
    return inAppendSpan([{ coordinate }], () => this.appendPlanned(coordinate, event, options, grant));
  }

  private appendPlanned<C>(
    coordinate: Coordinate,
    event: NewEvent,
    options: AppendOptions<C> | undefined,
    grant: Grant | undefined,
  ): AppendReceipt {
    const w = this.writable();
    const planner = this.planner();
    const planned = planner.add(coordinate, event, options as AppendOptions, Date.now(), grant);
    if ('duplicateOf' in planned) {
      if (options?.durable) this.syncTo(planned.duplicateOf + 1);
      return receiptOf(this.reader.record(planned.duplicateOf), true);
    }
    this.write(w, [planned], false);
    if (options?.durable) w.durability.syncNow();
    return receiptOf(planned.record, false, planned.extensions);
  }

  /** Signs receipts together now, when the journal has a signing key. */
  private signed<T extends readonly AppendReceipt[]>(receipts: T): T {
    return this.signer ? this.signer.signNow(receipts) : receipts;
  }

  /**
   * Commits the proposal of a guard receipt from `GateSet.evaluate`, recording the gates that
   * passed it (extension `causeway.gates`). A receipt commits once; a refused commit (a version
   * conflict, say) leaves it usable. On a typed journal, declare the proposal as `AppendProposal<E>`
   * so that its event is checked against the union before the gates run.
   */
  commit(receipt: GuardReceipt<AppendProposal<E>>, options?: { durable?: boolean }): AppendReceipt {
    checkOptions(options, BATCH_OPTIONS, 'commit option');
    return redeemGuardReceipt(receipt, (p) => {
      if (p === null || typeof p !== 'object')
        throw new InvalidArgument('the guard receipt holds no append proposal { coordinate, event }');
      const grant = { 'causeway.gates': receipt.gates };
      return this.signed([this.appendGranted(p.coordinate, p.event, { ...p.options, ...options }, grant)])[0];
    });
  }

  /**
   * Records a denial as an event on the stream (type `causeway.denied`, data `{ gate, code, message,
   * context }`), so refusals are as auditable as what was accepted. Exempt from `requireGates`.
   */
  appendDenial(
    coordinate: Coordinate,
    denial: Denial,
    options?: Pick<AppendOptions, 'causedBy' | 'correlationId' | 'idempotencyKey' | 'durable' | 'extensions'>,
  ): AppendReceipt {
    checkOptions(options, DENIAL_OPTIONS, 'denial option');
    const { gate, code, message, context } = validateDenial(denial);
    const receipt = this.appendGranted(
      coordinate,
      { type: DENIAL_EVENT_TYPE, data: { gate, code, message, context } },
      { ...options, expectedVersion: 'any' },
      { 'causeway.denial': gate },
    );
    return this.signed([receipt])[0];
  }

  /**
   * Appends one event; with `durable`, resolves after an fsync shared with every other producer
   * waiting at the same time (group commit). Receipts of appends made in the same turn of the event
   * loop share one signature, too.
   */
  async appendAsync<C>(
    coordinate: Coordinate,
    event: NewEventOf<E>,
    options?: AppendOptions<C>,
  ): Promise<AppendReceipt> {
    const receipt = this.appendGranted(coordinate, event, { ...options, durable: false }, undefined);
    if (this.signer) await this.signer.signSoon([receipt]);
    if (options?.durable) await this.writer!.durability.request(receipt.position);
    return receipt;
  }

  /**
   * Appends several events atomically: all become visible together and a crash leaves all or none.
   * Expected versions are checked per item, in order; an item can name an earlier one as its cause.
   * Retrying a batch whose items all carry idempotency keys returns the original receipts.
   */
  appendBatch(items: readonly BatchItem<E>[], options?: BatchOptions): AppendReceipt[] {
    return this.signed(this.appendBatchUnsigned(items, options));
  }

  private appendBatchUnsigned(items: readonly BatchItem[], options?: BatchOptions): AppendReceipt[] {
    return inAppendSpan(items, () => this.appendBatchPlanned(items, options));
  }

  private appendBatchPlanned(items: readonly BatchItem[], options?: BatchOptions): AppendReceipt[] {
    const w = this.writable();
    checkOptions(options, BATCH_OPTIONS, 'batch option');
    validateBatch(items);
    const planner = this.planner();
    const now = Date.now();
    const duplicates: number[] = [];
    for (const item of items) {
      const planned = planner.add(item.coordinate, item.event, item.options, now);
      if ('duplicateOf' in planned) duplicates.push(planned.duplicateOf);
    }
    if (duplicates.length > 0) {
      if (duplicates.length !== items.length) {
        throw new InvalidArgument('batch mixes events already appended (by idempotency key) with new ones', {
          duplicates: duplicates.length,
          items: items.length,
        });
      }
      if (options?.durable) this.syncTo(Math.max(...duplicates) + 1);
      return this.reader.records(duplicates).map((r) => receiptOf(r, true));
    }
    this.write(w, planner.prepared, true);
    if (options?.durable) w.durability.syncNow();
    return planner.prepared.map((p) => receiptOf(p.record, false, p.extensions));
  }

  /** {@link appendBatch} whose durable form shares fsyncs with other producers. */
  async appendBatchAsync(items: readonly BatchItem<E>[], options?: BatchOptions): Promise<AppendReceipt[]> {
    checkOptions(options, BATCH_OPTIONS, 'batch option');
    const receipts = this.appendBatchUnsigned(items, { durable: false });
    if (this.signer) await this.signer.signSoon(receipts);
    if (options?.durable) await this.writer!.durability.request(receipts[receipts.length - 1].position);
    return receipts;
  }

  /** fsyncs everything written so far. */
  sync(): void {
    this.writable().durability.syncNow();
  }

  /** Writes an index snapshot now, so the next open scans only what follows. */
  snapshot(): void {
    const w = this.writable();
    w.snapshots.attempt(() => this.writeSnapshotNow(w), 'explicit');
  }

  /** Writes the snapshot; returns the events it covers. */
  private writeSnapshotNow(w: WriterState): number {
    w.durability.syncNow(); // a snapshot never points past durable data
    writeSnapshot(this.dir, imageOf(this.index));
    return this.index.count;
  }

  private planner(): AppendPlanner {
    return new AppendPlanner(
      this.index,
      this.writer!.options.maxEventBytes,
      (slot) => this.reader.record(slot).correlation,
      this.versions,
      this.writer!.options.requireGates,
    );
  }

  private syncTo(position: number): void {
    if (this.marks.get('durable') < position) this.writer!.durability.syncNow();
  }

  private write(w: WriterState, prepared: PreparedEvent[], asBatch: boolean): void {
    const frames = prepared.map((p) => p.frame);
    // The begin marker's size depends on the count (MessagePack integers grow with their value).
    const begin = asBatch ? frameOf(encodeBatchMarker(FrameKind.BatchBegin, prepared.length)) : null;
    if (begin) {
      frames.unshift(begin);
      frames.push(frameOf(encodeBatchMarker(FrameKind.BatchCommit, prepared.length)));
    }
    const bytes = frames.length === 1 ? frames[0] : Buffer.concat(frames);
    const last = prepared[prepared.length - 1].record.position;
    try {
      if (w.active.size + bytes.length > w.options.segmentMaxBytes && w.active.size > SEGMENT_HEADER_BYTES)
        this.rotate(w);
    } catch (err) {
      w.failure = err;
      throw err;
    }
    const base = w.active.size;
    try {
      w.active.append(bytes);
    } catch (err) {
      // An append that left the segment as it was (a full disk, say) fails alone; the writer goes on.
      if (w.active.broken) w.failure = err;
      throw err;
    }
    this.marks.advance('accepted', last);
    this.marks.advance('written', last);
    let offset = base + (begin?.length ?? 0);
    for (const p of prepared) {
      this.index.insert(p.record, w.active.id, offset, p.frame.length);
      offset += p.frame.length;
    }
    this.index.markEnd(w.active.id, w.active.size);
    this.marks.advance('visible', last);
    this.notifyCommit(last);
    if (w.snapshots.appended(prepared.length))
      setImmediate(() => {
        if (!this.closed && w.failure === null)
          w.snapshots.attempt(() => this.writeSnapshotNow(w), 'background');
      }).unref();
  }

  private rotate(w: WriterState): void {
    const old = w.active;
    old.seal();
    this.marks.advance('durable', this.marks.get('written'));
    w.active = ActiveSegment.create(this.dir, old.id + 1, preallocateStep(w.options));
    w.durability.retire(old);
    this.segmentCount++;
  }

  private writable(): WriterState {
    if (this.closed) throw new JournalClosed();
    if (!this.writer) throw new JournalReadOnly();
    if (this.writer.failure !== null) throw new JournalFailed(this.writer.failure);
    if (this.writer.durability.error) throw new JournalFailed(this.writer.durability.error);
    return this.writer;
  }

  private readable(): void {
    if (this.closed) throw new JournalClosed();
  }

  // ---------------------------------------------------------------- receipts

  /**
   * Verifies a receipt against this journal: `signed` (fields match the stored event and the
   * signature verifies with one of the configured keys), `unsigned` (fields match, no signature), or
   * `invalid` with the reason: missing-event, event-tampered, field-mismatch, unknown-key or
   * bad-signature.
   */
  verifyReceipt(receipt: SignableReceipt): ReceiptVerification {
    this.readable();
    return verifyAgainstRecord(
      receipt,
      () => {
        const id = typeof receipt?.id === 'string' ? tryIdFromString(receipt.id) : undefined;
        const slot = id ? this.index.slotOfId(id) : -1;
        return slot === -1 ? undefined : this.reader.record(slot);
      },
      this.keys,
    );
  }

  /** The receipt of a stored event, signed now with the current key (for events appended earlier). */
  receiptFor(id: string): AppendReceipt {
    this.readable();
    return this.signed([receiptOf(this.reader.record(this.slotOf(id)), false)])[0];
  }

  /** Id of the key that signs receipts, or null when receipts are unsigned. */
  get signingKeyId(): string | null {
    return this.keys?.signingKeyId ?? null;
  }

  // ---------------------------------------------------------------- reading

  /**
   * The event with this id, or undefined. `Sub` narrows the result to part of the union (the caller's
   * assertion, not checked): `get<OrderPlaced>(id)`.
   */
  get<Sub extends E = E>(id: string): StoredEventOf<Sub> | undefined {
    this.readable();
    const slot = this.index.slotOfId(idFromString(id, 'id'));
    return slot === -1 ? undefined : this.events<Sub>([slot])[0];
  }

  /** Version of a stream's last event, or undefined when the stream does not exist. */
  streamVersion(entity: string): number | undefined {
    this.readable();
    return this.index.stream(validateEntity(entity))?.version;
  }

  /**
   * Events of one stream by version: forwards from `from` (default 0) or backwards from `from`
   * (default last). `Sub` narrows the events to part of the journal's union, as the caller knows
   * what the stream holds (an assertion, not checked): `readStream<OrderEvent>('order:507')`.
   */
  readStream<Sub extends E = E>(entity: string, options: ReadStreamOptions = {}): StoredEventOf<Sub>[] {
    this.readable();
    validateEntity(entity);
    const { from, limit, backwards } = readStreamOptions(options);
    const stream = this.index.streamByName.get(entity);
    if (stream === undefined) return [];
    const list = this.index.streamSlots[stream];
    let slots: number[];
    if (backwards) {
      const start = Math.min(from ?? list.length - 1, list.length - 1);
      const end = Math.max(-1, start - limit);
      slots = [];
      for (let v = start; v > end; v--) slots.push(list.items[v]);
    } else {
      const start = from ?? 0;
      slots = Array.from(list.items.subarray(start, Math.min(list.length, start + limit)));
    }
    return this.events<Sub>(slots);
  }

  /**
   * A page of events in global order, optionally restricted to a region. With `region.types`, the
   * page holds only those members of the journal's union.
   */
  readAll<T extends E['type'] = E['type']>(options: ReadAllOptions<T> = {}): ReadPage<EventOfType<E, T>> {
    this.readable();
    const { after, limit, region } = readAllOptions(options);
    const visible = this.index.count;
    const slots = scanRegion(this.index, region, after, limit, visible);
    const events = this.events<EventOfType<E, T>>(slots);
    const done = slots.length < limit;
    const end = Math.min(visible, region?.toPosition ?? visible);
    return { events, nextAfter: done ? Math.max(after, end) : slots[slots.length - 1] + 1, done };
  }

  /** Every visible event of a region, in global order, read page by page. */
  *query<T extends E['type'] = E['type']>(
    region: Region<T> = {},
    pageSize = 1000,
  ): IterableIterator<StoredEventOf<E, T>> {
    validateRegion(region);
    let after = 0;
    for (;;) {
      const page = this.readAll<T>({ after, limit: pageSize, region });
      yield* page.events as StoredEventOf<E, T>[];
      if (page.done) return;
      after = page.nextAfter;
    }
  }

  // ---------------------------------------------------------------- causal graph

  /** The causation chain of an event: its cause, that event's cause, ... up to the root. */
  causes(id: string): StoredEventOf<E>[] {
    const slots: number[] = [];
    for (let s = this.index.causeOf.array[this.slotOf(id)]; s !== -1; s = this.index.causeOf.array[s])
      slots.push(s);
    return this.events(slots);
  }

  /**
   * An event and everything it caused, transitively, as a tree (effects in global order), or its
   * first `limit` events breadth first.
   */
  effects(id: string, options: EffectsOptions = {}): EffectTree<E> {
    const { limit } = effectsOptions(options);
    // Breadth first, without recursion: a chain thousands deep or a fan-out of thousands is fine.
    const order = [this.slotOf(id)];
    const parent = [-1];
    for (let i = 0; i < order.length && order.length < limit; i++)
      for (const kid of this.index.effectSlots(order[i])) {
        if (order.length >= limit) break;
        order.push(kid);
        parent.push(i);
      }
    const sorted = [...order].sort((a, b) => a - b); // read in file order
    const read = this.events(sorted);
    const events = new Map(sorted.map((slot, i) => [slot, read[i]]));
    const trees: { event: StoredEventOf<E>; effects: EffectTree<E>[] }[] = order.map((slot) => ({
      event: events.get(slot)!,
      effects: [],
    }));
    for (let i = 1; i < order.length; i++) trees[parent[i]].effects.push(trees[i]);
    return trees[0];
  }

  /** Every event carrying this correlation id, in global order. */
  correlated(correlationId: string): StoredEventOf<E>[] {
    this.readable();
    return this.events(this.index.correlationSlots(idFromString(correlationId, 'correlationId')));
  }

  /**
   * The earlier events of the event's stream, newest first, following the hash chain: each one's hash
   * is checked against the `prevHash` of the one after it. `Sub` narrows them to part of the union,
   * as {@link readStream}'s does.
   */
  walkAncestors<Sub extends E = E>(id: string, options: { limit?: number } = {}): StoredEventOf<Sub>[] {
    checkOptions(options, LIMIT_OPTION, 'walkAncestors option');
    checkLimit(options.limit ?? Number.POSITIVE_INFINITY);
    const slot = this.slotOf(id);
    const list = this.index.streamSlots[this.index.streamOf.array[slot]];
    const version = list.upperBound(slot) - 1;
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const slots: number[] = [];
    for (let v = version - 1; v >= 0 && slots.length < limit; v--) slots.push(list.items[v]);
    const events = this.reader.events(slots);
    let expected = this.reader.record(slot).prevHash.toString('hex');
    for (const e of events) {
      if (e.hash !== expected) {
        const slotOfE = e.position - 1;
        throw new CorruptData(`hash chain broken at ${e.entity} version ${e.streamVersion}`, {
          file: segmentPath(this.dir, this.index.segmentOf.array[slotOfE]),
          segment: this.index.segmentOf.array[slotOfE],
          offset: this.index.offsetOf.array[slotOfE],
        });
      }
      expected = e.prevHash;
    }
    return events as StoredEventOf<Sub>[];
  }

  /** Events by slot, upcast to the declared payload versions, typed as members of `Sub` (unchecked). */
  private events<Sub extends JournalEvent = E>(slots: readonly number[]): StoredEventOf<Sub>[] {
    return this.versions.upcastAll(this.reader.events(slots)) as StoredEventOf<Sub>[];
  }

  private slotOf(id: string): number {
    this.readable();
    const slot = this.index.slotOfId(idFromString(id, 'id'));
    if (slot === -1) throw new EventNotFound(id);
    return slot;
  }

  // ---------------------------------------------------------------- payload versions

  /**
   * Declares the current payload version of an event type and the upcasters from older versions.
   * Reads return payloads upcast to `current` (stored bytes never change); a stored version above
   * `current`, or one without an upcaster path, is `PayloadVersionUnsupported`. Appends of the type
   * without a `payloadVersion` get `current`.
   */
  declarePayloadVersion(type: E['type'], declaration: PayloadVersionDeclaration): void {
    this.versions.declare(type, declaration);
  }

  // ---------------------------------------------------------------- consumers

  /**
   * Live events of `region` from now on, pushed without ever blocking appends. A subscriber that lets
   * its buffer (`capacity`) fill up is told it lagged and from which position to resume with a cursor.
   * With `region.types`, it delivers only those members of the journal's union.
   */
  subscribeLossy<T extends E['type'] = E['type']>(
    region: Region<T> = {},
    options?: LossySubscriptionOptions,
  ): LossySubscription<EventOfType<E, T>> {
    this.readable();
    this.hub ??= new SubscriptionHub(this);
    return this.hub.subscribe(region, options) as LossySubscription<EventOfType<E, T>>;
  }

  /**
   * A pull cursor over `region`. With `checkpointId` it resumes from its saved position and `commit()`
   * saves it durably; an id saved for another region is `CheckpointRegionMismatch`. With
   * `region.types`, it returns only those members of the journal's union.
   */
  cursor<T extends E['type'] = E['type']>(
    region: Region<T> = {},
    options?: CursorOptions,
  ): Cursor<EventOfType<E, T>> {
    this.readable();
    return new Cursor(this, region, options);
  }

  /**
   * The checkpoints saved in this journal (cursors, cursor workers, reactors as `reactor.<name>`),
   * each with its region, position and whether it fits the journal: `ahead` when it covers events
   * the journal does not have (see `CheckpointAhead`).
   */
  checkpoints(): CheckpointSummary[] {
    this.readable();
    return listCheckpoints(checkpointDir(this)).map(({ id, region, saved }) => {
      let status: CheckpointSummary['status'] = 'ok';
      try {
        checkAgainstJournal(this, id, saved);
      } catch (err) {
        if (!(err instanceof CheckpointAhead)) throw err;
        status = 'ahead';
      }
      return { id, region, position: saved.position, status };
    });
  }

  /**
   * Moves a saved checkpoint to `position` (0 to the visible end), keeping its region: the way on
   * after `CheckpointAhead`. 0 delivers everything again; the journal's end delivers only what comes
   * next. Stop the consumer that uses it first.
   */
  resetCheckpoint(checkpointId: string, position: number): void {
    this.readable();
    validateCheckpointId(checkpointId);
    const end = this.catchUp();
    if (!Number.isSafeInteger(position) || position < 0 || position > end)
      throw new InvalidArgument(`position must be an integer from 0 to the journal's end, ${end}`, {
        position,
      });
    this.makeDurableSync(position);
    resetCheckpointFile(checkpointDir(this), checkpointId, {
      position,
      event: position === 0 ? null : this.eventIdAt(position),
    });
  }

  /**
   * Runs `handler` over `region` in batches, in global order, on the worker loop. The handler returns
   * `continue` (commit the batch's end as the checkpoint), `stop` (commit, then stop) or
   * `stopWithRollback` (stop at the last checkpoint; the batch comes again next time). A throw
   * restarts from the last checkpoint under `config.restart`. Delivery is at least once; with a
   * `checkpointId` it survives restarts of the process, and a checkpoint that cannot be written stops
   * the worker with `CheckpointWriteFailed` (see the handle's `join()`). With `region.types`, the
   * handler gets only those members of the journal's union.
   */
  cursorWorker<T extends E['type'] = E['type']>(
    region: Region<T>,
    config: CursorWorkerConfig,
    handler: CursorWorkerHandler<EventOfType<E, T>>,
  ): CursorWorkerHandle {
    this.readable();
    return startCursorWorker(this, region, config, handler as CursorWorkerHandler);
  }

  /**
   * Starts a reactor: handlers per event type return follow-up events, appended per source event as
   * one atomic batch caused by (and correlated with) the source, at most once per reactor and source.
   * Handler keys must be types of the journal's union; each handler gets its member, narrowed, and
   * returns events of the union.
   */
  reactor<T extends E['type']>(options: ReactorOptions<E, T>): CursorWorkerHandle {
    this.readable();
    return startReactor(this, options as ReactorOptions);
  }

  /**
   * Relays events to a broker through `sink` (see `causewayjs/sinks`), in global order: each batch is
   * published and its checkpoint committed only once the broker has acknowledged all of it. A broker
   * that is down or refuses is retried with backoff (each failure logged); nothing is skipped. After a
   * crash, the batch in flight is published again (a NATS stream drops the repeats by message id). A
   * sink that keeps positions itself (a NATS mirror) relays the whole journal and needs no checkpoint.
   */
  sinkTo(sink: Sink, options?: SinkRelayOptions): SinkRelayHandle {
    this.readable();
    return relayToSink(
      {
        ...this.async,
        makeDurable: (position) => this.makeDurable(position),
        checkpoints: async () => this.checkpoints(),
        logger: this.logger,
      },
      sink,
      options,
    );
  }

  /**
   * A projection's state; `consistent` (default) includes every event visible now. `apply` gets the
   * members of the journal's union that the projection's `region.types` select (`T`, inferred from
   * an inline projection), or the whole union.
   */
  project<S, T extends E['type'] = E['type']>(
    projection: Projection<S, E, T>,
    options?: ProjectOptions,
  ): ProjectionState<S> {
    this.readable();
    this.projectionsOf ??= new Projections(this);
    return this.projectionsOf.project(projection as Projection<S>, options);
  }

  /**
   * Keeps a projection up to date as events arrive; it holds back the `applied` watermark until caught
   * up. Typed as {@link project}.
   */
  registerProjection<S, T extends E['type'] = E['type']>(projection: Projection<S, E, T>): void {
    this.readable();
    this.projectionsOf ??= new Projections(this);
    this.projectionsOf.register(projection as Projection<S>);
  }

  /** Stops updating a registered projection and removes it from the `applied` watermark. */
  unregisterProjection(name: string): boolean {
    return this.projectionsOf?.unregister(name) ?? false;
  }

  /**
   * @internal Calls `listener` (synchronously, keep it cheap) each time events become visible. On a
   * read-only journal, listening makes it look for the writer's progress every `pollIntervalMs`.
   */
  onCommit(listener: (visible: number) => void): () => void {
    this.commitListeners.add(listener);
    if (!this.writer && !this.followTimer && !this.closed) {
      this.followTimer = setInterval(() => {
        if (!this.closed) this.catchUp();
      }, this.pollIntervalMs);
      this.followTimer.unref();
    }
    return () => {
      this.commitListeners.delete(listener);
      if (this.commitListeners.size === 0 && this.followTimer) {
        clearInterval(this.followTimer);
        this.followTimer = null;
      }
    };
  }

  /**
   * @internal Resolves once the events up to `position` are durable, and (on a writer) everything it
   * has written so far, which covers what a consumer's handler appended. Checkpoints and caches wait
   * for it, so after a power loss none of them covers events the journal lost.
   */
  async makeDurable(position: number): Promise<void> {
    const w = this.writer;
    if (w) {
      const target = Math.max(position, this.marks.get('written'));
      if (this.marks.get('durable') < target) await w.durability.request(target);
    } else if (position > this.readerDurable) {
      await this.files.sync(this.index.segmentOf.array[position - 1]);
      this.readerDurable = Math.max(this.readerDurable, position);
    }
  }

  /** @internal {@link makeDurable} on this thread. */
  makeDurableSync(position: number): void {
    const w = this.writer;
    if (w) {
      if (this.marks.get('durable') < Math.max(position, this.marks.get('written')))
        this.writable().durability.syncNow();
    } else if (position > this.readerDurable) {
      this.files.syncSync(this.index.segmentOf.array[position - 1]);
      this.readerDurable = position;
    }
  }

  /** @internal Id of the event at a global position (1 to visible), which checkpoints are tied to. */
  eventIdAt(position: number): string {
    return idToString(this.index.idOf(position - 1));
  }

  /** @internal The configured logger. */
  get logger(): Logger {
    return this.log;
  }

  /** @internal A registered projection reports how far it has applied the journal. */
  trackApplied(consumer: object, position: number): void {
    this.marks.setApplied(consumer, position);
  }

  /** @internal */
  untrackApplied(consumer: object): void {
    this.marks.removeApplied(consumer);
  }

  private notifyCommit(visible: number): void {
    for (const listener of this.commitListeners) {
      try {
        listener(visible);
      } catch (err) {
        // The append has happened; a listener's failure must not look like the append's.
        process.nextTick(() => {
          throw err;
        });
      }
    }
  }

  // ---------------------------------------------------------------- progress

  /** Current watermarks. */
  watermarks(): Watermarks {
    return this.marks.snapshot();
  }

  /**
   * Resolves once `mark` reaches `position`. Waiting for `durable` asks for an fsync; a read-only
   * journal polls its writer's progress.
   */
  async waitFor(mark: Watermark, position: number, options: { timeoutMs?: number } = {}): Promise<void> {
    this.readable();
    checkOptions(options, WAIT_OPTIONS, 'waitFor option');
    if (this.writer) {
      const wait = this.marks.waitFor(mark, position, options.timeoutMs);
      if (mark === 'durable' && position <= this.marks.get('written'))
        this.writer.durability.request(position).catch(() => {});
      return wait;
    }
    const deadline =
      options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
    const wait = this.marks.waitFor(mark, position, options.timeoutMs);
    wait.catch(() => {});
    while (this.marks.get(mark) < position && Date.now() < deadline && !this.closed) {
      this.catchUp();
      if (this.marks.get(mark) >= position) break;
      await sleep(this.pollIntervalMs);
    }
    return wait;
  }

  /**
   * Read-only journals: picks up what the writer committed since; returns the visible count. Damage
   * found on the way is {@link CorruptData}; what was committed before it stays readable.
   */
  catchUp(): number {
    this.readable();
    if (this.writer) return this.index.count;
    const segments = listSegments(this.dir);
    this.segmentCount = segments.length;
    const before = this.marks.get('visible');
    try {
      const outcome = scanSegments(this.dir, segments, this.index, this.scanFrom, 'reader');
      this.scanFrom = { segment: outcome.segment, offset: outcome.offset };
    } catch (err) {
      // The next look resumes after the last event read, not before it.
      if (this.index.count > 0)
        this.scanFrom = { segment: this.index.endSegment, offset: this.index.endOffset };
      throw err;
    } finally {
      for (const mark of ['accepted', 'written', 'durable', 'visible'] as const)
        this.marks.advance(mark, this.index.count);
      if (this.index.count > before) this.notifyCommit(this.index.count);
    }
    return this.index.count;
  }

  /**
   * The stored records of up to `limit` visible events after position `after`, as they are kept
   * (payloads not upcast): what `causeway journal copy` reads.
   * @internal
   */
  exportRecords(after: number, limit: number): EventRecord[] {
    this.readable();
    const end = Math.min(this.marks.get('visible'), after + limit);
    const slots: number[] = [];
    for (let position = after + 1; position <= end; position++) slots.push(position - 1);
    return this.reader.records(slots);
  }

  /**
   * Writes events exactly as another journal keeps them (ids, positions, timestamps, links,
   * extensions, layout and hashes): what `causeway journal copy` writes. Each must come next, and
   * carry its stream's next version and chain link and its own hash; anything else is refused
   * (`CorruptData`) before a byte is written.
   * @internal
   */
  importRecords(records: readonly EventRecord[]): void {
    const w = this.writable();
    const prepared: PreparedEvent[] = [];
    const staged = new Map<string, { version: number; hash: Buffer }>();
    for (const [i, r] of records.entries()) {
      const indexed = this.index.stream(r.entity);
      const stream =
        staged.get(r.entity) ?? (indexed && { version: indexed.version, hash: indexed.lastHash });
      const misfit =
        r.position !== this.index.count + i + 1
          ? `position ${r.position} where ${this.index.count + i + 1} comes next`
          : r.streamVersion !== (stream ? stream.version + 1 : 0) ||
              !r.prevHash.equals(stream?.hash ?? ZERO_HASH)
            ? `${r.entity} version ${r.streamVersion} does not follow its stream`
            : !computeEventHash(r).equals(r.hash)
              ? `the event at position ${r.position} does not match its hash`
              : this.index.slotOfId(r.id) !== -1
                ? `event ${idToString(r.id)} is here already`
                : null;
      if (misfit) throw new CorruptData(`cannot import: ${misfit}`, { file: this.dir });
      staged.set(r.entity, { version: r.streamVersion, hash: r.hash });
      prepared.push({ record: r, frame: encodeEventFrame(r), extensions: undefined });
    }
    if (prepared.length > 0) this.write(w, prepared, false);
  }

  /** How this journal was opened: snapshot or rebuild, what recovery did, how long it took. */
  openReport(): OpenReport {
    return this.report;
  }

  /** Every stream with its scope and event count, in order of creation (optionally under a `:` prefix). */
  streams(options: { entityPrefix?: string } = {}): StreamSummary[] {
    this.readable();
    checkOptions(options, STREAMS_OPTIONS, 'streams option');
    const { streamNames, streamSlots, streamScope, scopes } = this.index;
    const prefix = options?.entityPrefix;
    if (prefix !== undefined && typeof prefix !== 'string')
      throw new InvalidArgument('entityPrefix must be a string', { entityPrefix: prefix });
    const out: StreamSummary[] = [];
    for (let id = 0; id < streamNames.length; id++) {
      const entity = streamNames[id];
      if (prefix !== undefined && entity !== prefix && !entity.startsWith(`${prefix}:`)) continue;
      out.push({ entity, scope: scopes.names[streamScope.array[id]], events: streamSlots[id].length });
    }
    return out;
  }

  stats(): JournalStats {
    this.readable();
    let bytes = 0;
    for (const id of listSegments(this.dir)) bytes += fs.statSync(segmentPath(this.dir, id)).size;
    return {
      events: this.index.count,
      streams: this.index.streamNames.length,
      segments: this.segmentCount,
      bytes,
      indexBytes: this.index.memoryBytes(),
      snapshot: this.writer?.snapshots.status() ?? null,
    };
  }

  /** Checks every stream's hash chain from the first event; reports the first break. */
  verify(options: VerifyOptions = {}): VerifyResult {
    const unreadable = this.beforeVerify(options);
    return withUnreadable(verifyJournal(this.dir, this.index.count, options), unreadable);
  }

  /**
   * {@link verify}, giving the event loop a turn after each megabyte read, so a server verifying a
   * large journal goes on answering: what `journal.async.verify` runs.
   */
  async verifyYielding(options: VerifyOptions = {}): Promise<VerifyResult> {
    const unreadable = this.beforeVerify(options);
    return withUnreadable(await verifyJournalYielding(this.dir, this.index.count, options), unreadable);
  }

  /**
   * Catches up first, so a reader verifies as far as the files go; returns the damage that stopped
   * the catch-up, if any, to report as the break.
   */
  private beforeVerify(options: VerifyOptions): CorruptData | null {
    this.readable();
    checkOptions(options, VERIFY_OPTIONS, 'verify option');
    try {
      this.catchUp();
      return null;
    } catch (err) {
      if (!(err instanceof CorruptData)) throw err;
      return err;
    }
  }

  /** Flushes, snapshots the index and releases the directory. Calling it again does nothing. */
  close(): void {
    if (this.closed) return;
    const w = this.writer;
    try {
      this.projectionsOf?.flush();
      if (w && w.failure === null && !w.durability.error) {
        w.active.seal();
        this.marks.advance('durable', this.marks.get('written'));
        if (w.snapshots.stale) w.snapshots.attempt(() => this.writeSnapshotNow(w), 'close');
      }
    } finally {
      this.closed = true;
      if (w) {
        w.durability.stopSync();
        w.durability.retire(w.active);
        w.lock.release();
      }
      this.files.close();
      this.marks.rejectAll(new JournalClosed());
      if (this.followTimer) clearInterval(this.followTimer);
      this.hub?.closeAll();
      this.notifyCommit(this.index.count); // workers wake, find the journal closed and stop
      this.commitListeners.clear();
    }
  }
}

const JOURNAL_OPTIONS = keys(
  'segmentMaxBytes',
  'maxEventBytes',
  'fsyncIntervalMs',
  'snapshotEveryEvents',
  'receiptKeys',
  'requireGates',
  'logger',
);
const READ_ONLY_OPTIONS = keys('pollIntervalMs', 'receiptKeys', 'logger');
const BATCH_OPTIONS = keys('durable');
const DENIAL_OPTIONS = keys('causedBy', 'correlationId', 'idempotencyKey', 'durable', 'extensions');
const LIMIT_OPTION = keys('limit');
const WAIT_OPTIONS = keys('timeoutMs');
const VERIFY_OPTIONS = keys('onProgress');
const STREAMS_OPTIONS = keys('entityPrefix');

/** Runs an open; OS and driver failures on the way become {@link IoError}s naming the journal. */
function asCausewayError<T>(operation: string, dir: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CausewayError) throw err;
    throw new IoError(operation, dir, err);
  }
}

/** Creates the journal directory; a path that is a file is the caller's mistake. */
function makeDirectory(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new InvalidArgument(`journal path ${dir} is not a directory`, { dir });
    throw new IoError('create journal directory', dir, err);
  }
}

function validateOptions(options: JournalOptions): WriterOptions {
  checkOptions(options, JOURNAL_OPTIONS, 'journal option');
  const { receiptKeys: _, logger: __, ...rest } = options;
  const o = { ...DEFAULTS, ...rest };
  const check = (name: keyof WriterOptions, ok: boolean) => {
    if (!ok) throw new InvalidArgument(`invalid option ${name}: ${o[name]}`, { [name]: o[name] });
  };
  check(
    'segmentMaxBytes',
    Number.isInteger(o.segmentMaxBytes) && o.segmentMaxBytes >= 4096 && o.segmentMaxBytes <= 2 ** 32 - 1,
  );
  check(
    'maxEventBytes',
    Number.isInteger(o.maxEventBytes) && o.maxEventBytes >= 256 && o.maxEventBytes <= MAX_FRAME_BYTES,
  );
  check('fsyncIntervalMs', isTimerDelay(o.fsyncIntervalMs));
  check('snapshotEveryEvents', Number.isInteger(o.snapshotEveryEvents) && o.snapshotEveryEvents >= 0);
  check('requireGates', typeof o.requireGates === 'boolean');
  return o;
}

const keyringOf = (keys: JournalOptions['receiptKeys']): ReceiptKeyring | null =>
  keys === undefined ? null : new ReceiptKeyring(keys);

/** How far ahead of the data the active segment is zero-filled. */
const preallocateStep = (o: WriterOptions): number => Math.min(4 << 20, o.segmentMaxBytes);

/**
 * Opens (creating if needed) the journal in `dir` as its one writer. `E` is the application's event
 * union; without it the journal is untyped (any `{ type, data }`, read back with `data: unknown`).
 *
 * @example
 * type ShopEvent =
 *   | { type: 'OrderPlaced'; data: { total: number } }
 *   | { type: 'OrderPaid'; data: { amount: number } };
 * const journal = open<ShopEvent>('./data/journal');
 */
export const open = <E extends JournalEvent = JournalEvent>(
  dir: string,
  options?: JournalOptions,
): Journal<E> => Journal.open<E>(dir, options);
/**
 * Opens a journal for reading beside its writer. `E` is the application's event union, as for
 * {@link open}: `openReadOnly<ShopEvent>(dir)`.
 */
export const openReadOnly = <E extends JournalEvent = JournalEvent>(
  dir: string,
  options?: ReadOnlyOptions,
): Journal<E> => Journal.openReadOnly<E>(dir, options);

/** A verification's result, failed at `unreadable` when the catch-up before it could not read on. */
function withUnreadable(result: VerifyResult, unreadable: CorruptData | null): VerifyResult {
  return result.ok && unreadable ? { ...result, ok: false, firstBreak: breakOf(unreadable) } : result;
}
