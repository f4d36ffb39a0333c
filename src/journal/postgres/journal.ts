/**
 * The journal kept in PostgreSQL, shared by any number of processes: the same events, hash chain,
 * receipts and checks as the embedded journal, behind the {@link AsyncJournal} contract.
 */
import type pg from 'pg';
import { InvalidArgument, JournalClosed, WaitTimeout } from '../../errors.js';
import { ReceiptKeyring } from '../../gates/keys.js';
import type { ReceiptKeyInput, ReceiptVerification, SignableReceipt } from '../../gates/types.js';
import { type Logger, silentLogger } from '../../logger.js';
import type { Sink } from '../../sink.js';
import {
  dialectOfUrl,
  listenToEveryClient,
  loadDriver,
  pgExecutor,
  redactUrl,
  type SqlExecutor,
  type SqlTarget,
  toSqlExecutor,
  typedErrors,
} from '../../sql/index.js';
import { checkOptions, keys } from '../../validation.js';
import { inAppendSpan } from '../append-span.js';
import type { EventRecord } from '../codec.js';
import type { AsyncJournal } from '../contract.js';
import { projectOptions, validateProjection } from '../delivery/projections.js';
import { reactorWorker } from '../delivery/reactor.js';
import { relayToSink } from '../delivery/sink-relay.js';
import type {
  CheckpointSummary,
  CursorWorkerHandle,
  CursorWorkerHandler,
  CursorWorkerOutcome,
  Projection,
  ProjectionState,
  ProjectOptions,
  ReactorOptions,
  SinkRelayHandle,
  SinkRelayOptions,
} from '../delivery/types.js';
import { idFromString, idToString, tryIdFromString } from '../ids.js';
import { PayloadVersions } from '../payload-versions.js';
import { effectsOptions } from '../read/read-options.js';
import { ReceiptSigner, receiptOf, verifyAgainstRecord } from '../receipts.js';
import { regionMatches } from '../region.js';
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
  PayloadVersionDeclaration,
  ReadAllOptions,
  ReadPage,
  ReadStreamOptions,
  Region,
  StoredEvent,
  StoredEventOf,
  StreamSummary,
  VerifyOptions,
  VerifyResult,
  Watermark,
  Watermarks,
} from '../types.js';
import { validateBatch } from '../write/prepare.js';
import { type AppendContext, type Appended, Appender, appendItemsIn } from './append.js';
import {
  type CursorWorkerFeed,
  type PostgresCursorWorkerConfig,
  type PostgresCursorWorkerContext,
  startPostgresCursorWorker,
} from './cursor-worker.js';
import { importRecords } from './import.js';
import { migrateJournal } from './migrate.js';
import { JournalReads } from './reads.js';
import { Sequencing } from './sequencing.js';
import { journalStatements } from './statements.js';
import { journalTables } from './tables.js';

/**
 * What an append made inside the caller's transaction is known by before it is sequenced: its id,
 * stream and stream version. {@link PostgresJournal.sequenced} turns it into the full receipt.
 */
export interface PendingReceipt {
  readonly id: string;
  readonly entity: string;
  readonly streamVersion: number;
  /** True when an idempotency key matched and this names the original event. */
  readonly deduplicated: boolean;
}

/** Options of {@link PostgresJournal.open}. */
export interface PostgresJournalOptions {
  /** The PostgreSQL schema that holds this journal's tables (one per journal). Default `causeway_journal`. */
  schema?: string;
  /** `auto` (default) creates or updates the schema; `verify` only checks it is current. */
  migrate?: 'auto' | 'verify';
  /** Ed25519 keys, oldest first: the newest private key signs every receipt, all verify. */
  receiptKeys?: readonly ReceiptKeyInput[];
  /** Refuse appends that bring neither gates nor a bypass reason. Default false. */
  requireGates?: boolean;
  /** Largest encoded event (data, metadata and extensions), in bytes. Default 1 MiB. */
  maxEventBytes?: number;
  logger?: Logger;
  /** How often this process looks for appends left to sequence (made in callers' transactions). Default 100 ms. */
  pollIntervalMs?: number;
}

const BATCH_OPTIONS = keys('durable');
const OPTIONS = keys(
  'schema',
  'migrate',
  'receiptKeys',
  'requireGates',
  'maxEventBytes',
  'logger',
  'pollIntervalMs',
);
/** How long a wait for a round looks again at the latest, should its announcement be missed. */
const WAIT_POLL_MS = 50;

/** The journal kept in PostgreSQL. `E` is the application's event union, as for `Journal<E>`. */
export class PostgresJournal<E extends JournalEvent = JournalEvent> implements AsyncJournal<E> {
  private readonly ex: SqlExecutor;
  private readonly reads: JournalReads;
  private readonly ctx: AppendContext;
  private readonly signer: ReceiptSigner | null;
  private readonly versions = new PayloadVersions();
  private closed = false;
  private readonly appender: Appender;
  /** Projection states folded in this process, by name, version and entity. */
  private readonly folds = new Map<string, ProjectionState<unknown>>();
  /** Cursor workers and reactors started here: close stops them. */
  private readonly consumers = new Set<CursorWorkerHandle>();
  /** Appends and waits in flight: close lets them finish. */
  private readonly working = new Set<Promise<unknown>>();
  private readonly sequencing: Sequencing;
  private readonly logger: Logger;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    schema: string,
    private readonly keyring: ReceiptKeyring | null,
    options: PostgresJournalOptions,
  ) {
    const st = journalStatements(journalTables(schema));
    this.ex = typedErrors(pgExecutor(pool, true));
    this.reads = new JournalReads(this.ex, st, this.versions);
    this.ctx = {
      pool,
      st,
      versions: this.versions,
      requireGates: options.requireGates ?? false,
      maxEventBytes: options.maxEventBytes ?? 1 << 20,
    };
    this.appender = new Appender(this.ctx);
    this.logger = options.logger ?? silentLogger;
    this.signer = keyring?.signingKeyId ? new ReceiptSigner(keyring) : null;
    this.sequencing = new Sequencing(
      pool,
      this.ex,
      st,
      this.reads,
      this.logger,
      options.pollIntervalMs ?? 100,
      () => this.appender.busy,
    );
  }

  /** Opens the journal in `target` (a `postgres://` URL or a `pg` Pool, left open on close). */
  static async open<E extends JournalEvent = JournalEvent>(
    target: string | pg.Pool,
    options: PostgresJournalOptions = {},
  ): Promise<PostgresJournal<E>> {
    checkOptions(options, OPTIONS, 'journal option');
    const schema = options.schema ?? 'causeway_journal';
    journalTables(schema); // validates the name before connecting
    const max = options.maxEventBytes;
    if (max !== undefined && (!Number.isInteger(max) || max < 1))
      throw new InvalidArgument('maxEventBytes must be a positive integer', { maxEventBytes: max });
    const keyring = options.receiptKeys === undefined ? null : new ReceiptKeyring(options.receiptKeys);
    let pool: pg.Pool;
    const owns = typeof target === 'string';
    if (typeof target === 'string') {
      if (dialectOfUrl(target) !== 'postgres' || !URL.canParse(target))
        throw new InvalidArgument(`not a PostgreSQL URL: ${JSON.stringify(redactUrl(target))}`);
      const { Pool } = loadDriver<typeof pg>('pg');
      pool = new Pool({ connectionString: target, max: 10, connectionTimeoutMillis: 10_000 });
      const logger = options.logger ?? silentLogger;
      pool.on('error', (err) =>
        logger.warn({ err }, 'journal database connection lost while idle; it is replaced'),
      );
      listenToEveryClient(pool, (err) => logger.debug({ err }, 'journal database connection lost'));
    } else pool = target;
    try {
      await migrateJournal(pool, schema, options.migrate ?? 'auto');
    } catch (err) {
      if (owns) await pool.end().catch(() => {});
      throw err;
    }
    const journal = new PostgresJournal<E>(pool, owns, schema, keyring, options);
    await journal.sequencing.listen(); // a session that cannot listen is retried: polling covers it meanwhile
    return journal;
  }

  private open(): void {
    if (this.closed) throw new JournalClosed();
  }

  /** Runs `work` (once the journal is known open) as work close() waits for. */
  private async tracked<T>(work: () => Promise<T>): Promise<T> {
    this.open();
    const running = work();
    this.working.add(running);
    try {
      return await running;
    } finally {
      this.working.delete(running);
    }
  }

  /**
   * The receipts of appended events once sequenced: from the round this process ran when it
   * sequenced them, or read back when another process's round did.
   */
  private async receipts(outcome: Appended): Promise<AppendReceipt[]> {
    const duplicate = 'duplicateOf' in outcome;
    let records: EventRecord[];
    if (duplicate) {
      // The original may still be pending (its append has not had its receipt yet).
      for (;;) {
        records = await this.reads.recordsById(outcome.duplicateOf);
        if (records.length === outcome.duplicateOf.length) break;
        await this.sequencing.catchUp();
      }
    } else records = await this.sequencing.awaitSequenced(outcome.pks);
    const receipts = records.map((r) => receiptOf(r, duplicate));
    if (this.signer) await this.signer.signSoon(receipts);
    return receipts;
  }

  async append<C>(
    coordinate: Coordinate,
    event: NewEventOf<E>,
    options?: AppendOptions<C>,
  ): Promise<AppendReceipt> {
    const item = { coordinate, event, options } as BatchItem;
    return inAppendSpan([item], () =>
      this.tracked(async () => (await this.receipts(await this.appender.append([item])))[0]),
    );
  }

  async appendBatch(items: readonly BatchItem<E>[], options?: BatchOptions): Promise<AppendReceipt[]> {
    this.open();
    validateBatch(items);
    if (options !== undefined) checkOptions(options, BATCH_OPTIONS, 'batch option');
    return inAppendSpan(items, () =>
      this.tracked(async () => this.receipts(await this.appender.append(items as readonly BatchItem[]))),
    );
  }

  /**
   * Appends in the caller's transaction `tx` (a pg client in a transaction, or a Kysely, Knex,
   * Drizzle or Prisma transaction on PostgreSQL): the event commits or rolls back with the
   * application's own writes and an outbox's `enqueue(tx, …)`. Sequenced after `tx` commits.
   */
  async appendIn<C>(
    tx: SqlTarget,
    coordinate: Coordinate,
    event: NewEventOf<E>,
    options?: AppendOptions<C>,
  ): Promise<PendingReceipt> {
    const [pending] = await this.appendBatchIn(tx, [{ coordinate, event, options } as BatchItem<E>]);
    return pending;
  }

  /** {@link appendIn} for an atomic batch. */
  async appendBatchIn(tx: SqlTarget, items: readonly BatchItem<E>[]): Promise<PendingReceipt[]> {
    return inAppendSpan(items, () => this.appendInTransaction(tx, items));
  }

  private async appendInTransaction(
    tx: SqlTarget,
    items: readonly BatchItem<E>[],
  ): Promise<PendingReceipt[]> {
    this.open();
    validateBatch(items);
    const ex = toSqlExecutor(tx, 'postgres');
    const outcome = await appendItemsIn(ex, this.ctx, items as readonly BatchItem[]);
    const duplicate = 'duplicateOf' in outcome;
    const { rows } = duplicate
      ? await ex.query(this.ctx.st.appendedById, [outcome.duplicateOf])
      : await ex.query(this.ctx.st.appendedByPk, [outcome.pks]);
    const byId = new Map(rows.map((r) => [r.id as string, r]));
    const ids = duplicate ? outcome.duplicateOf : rows.map((r) => r.id as string);
    return ids.map((id) => {
      const r = byId.get(id)!;
      return {
        id,
        entity: r.entity as string,
        streamVersion: Number(r.stream_version),
        deduplicated: duplicate,
      };
    });
  }

  /** The full receipts of pending appends once they are sequenced (their transaction committed). */
  async sequenced(
    pending: readonly PendingReceipt[],
    options: { timeoutMs?: number } = {},
  ): Promise<AppendReceipt[]> {
    this.open();
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    const ids = pending.map((p) => idToString(idFromString(p?.id, 'id')));
    for (;;) {
      this.open(); // a close meanwhile ends the wait
      const seen = this.sequencing.rounds;
      const records = await this.reads.recordsById(ids);
      if (records.length === ids.length) {
        const order = new Map(ids.map((id, i) => [id, i]));
        const receipts = records
          .map((r) => receiptOf(r, pending[order.get(idToString(r.id))!].deduplicated))
          .sort((a, b) => order.get(a.id)! - order.get(b.id)!);
        if (this.signer) await this.signer.signSoon(receipts);
        return receipts;
      }
      if (Date.now() >= deadline)
        throw new WaitTimeout(
          'the appends to be sequenced (was their transaction committed?)',
          options.timeoutMs ?? 30_000,
        );
      await this.sequencing.catchUp();
      await this.sequencing.nextRound(WAIT_POLL_MS, seen);
    }
  }

  async get<Sub extends E = E>(id: string): Promise<StoredEventOf<Sub> | undefined> {
    this.open();
    return (await this.reads.get(id)) as StoredEventOf<Sub> | undefined;
  }

  async streamVersion(entity: string): Promise<number | undefined> {
    this.open();
    const last = (await this.reads.readStream(entity, { backwards: true, limit: 1 }))[0];
    return last?.streamVersion;
  }

  async readStream<Sub extends E = E>(
    entity: string,
    options?: ReadStreamOptions,
  ): Promise<StoredEventOf<Sub>[]> {
    this.open();
    return (await this.reads.readStream(entity, options)) as StoredEventOf<Sub>[];
  }

  async readAll<T extends E['type'] = E['type']>(
    options?: ReadAllOptions<T>,
  ): Promise<ReadPage<EventOfType<E, T>>> {
    this.open();
    return (await this.reads.readAll(options, await this.head())) as ReadPage<EventOfType<E, T>>;
  }

  async causes(id: string): Promise<StoredEventOf<E>[]> {
    this.open();
    return (await this.reads.causes(id)) as StoredEventOf<E>[];
  }

  async effects(id: string, options: EffectsOptions = {}): Promise<EffectTree<E>> {
    this.open();
    const { limit } = effectsOptions(options);
    return (await this.reads.effects(id, Math.min(limit, Number.MAX_SAFE_INTEGER))) as EffectTree<E>;
  }

  async correlated(correlationId: string): Promise<StoredEventOf<E>[]> {
    this.open();
    return (await this.reads.correlated(correlationId)) as StoredEventOf<E>[];
  }

  async walkAncestors<Sub extends E = E>(
    id: string,
    options: { limit?: number } = {},
  ): Promise<StoredEventOf<Sub>[]> {
    this.open();
    return (await this.reads.walkAncestors(id, options.limit)) as StoredEventOf<Sub>[];
  }

  async streams(options: { entityPrefix?: string } = {}): Promise<StreamSummary[]> {
    this.open();
    const prefix = options.entityPrefix ?? null;
    const { rows } = await this.ex.query(this.ctx.st.streams, [prefix, prefix, prefix]);
    return rows.map((r) => ({
      entity: r.entity as string,
      scope: r.scope as string,
      events: Number(r.events),
    }));
  }

  async stats(): Promise<JournalStats> {
    this.open();
    const { rows } = await this.ex.query(this.ctx.st.size);
    const r = rows[0];
    return {
      events: Number(r.events),
      streams: Number(r.streams),
      segments: 0,
      bytes: Number(r.bytes),
      indexBytes: 0,
      snapshot: null,
    };
  }

  private async head(): Promise<number> {
    return Number((await this.ex.query(this.ctx.st.head)).rows[0].position);
  }

  /** Every mark is the head: a sequenced event is durable (committed) and visible at once. */
  async watermarks(): Promise<Watermarks> {
    this.open();
    const head = await this.head();
    return { accepted: head, written: head, durable: head, visible: head, applied: head };
  }

  async waitFor(mark: Watermark, position: number, options: { timeoutMs?: number } = {}): Promise<void> {
    this.open();
    if (!Number.isInteger(position) || position < 0)
      throw new InvalidArgument('position must be a non-negative integer', { position });
    const deadline =
      options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
    for (;;) {
      this.open(); // a close meanwhile ends the wait
      const seen = this.sequencing.rounds;
      if ((await this.head()) >= position) return;
      if (Date.now() >= deadline) throw new WaitTimeout(`${mark} to reach ${position}`, options.timeoutMs!);
      await this.sequencing.catchUp();
      await this.sequencing.nextRound(WAIT_POLL_MS, seen);
    }
  }

  async verify(options?: VerifyOptions): Promise<VerifyResult> {
    this.open();
    return this.reads.verify(await this.head(), options?.onProgress);
  }

  async verifyReceipt(receipt: SignableReceipt): Promise<ReceiptVerification> {
    this.open();
    const id = typeof receipt?.id === 'string' && tryIdFromString(receipt.id) ? receipt.id : null;
    const [record] = id === null ? [] : await this.reads.recordsById([id]);
    return verifyAgainstRecord(receipt, () => record, this.keyring);
  }

  async receiptFor(id: string): Promise<AppendReceipt> {
    this.open();
    const receipt = receiptOf(await this.reads.mustGet(id), false);
    return this.signer ? this.signer.signNow([receipt])[0] : receipt;
  }

  /** Declares an event type's current payload version and its upcasters, as the embedded journal. */
  declarePayloadVersion(type: E['type'], declaration: PayloadVersionDeclaration): void {
    this.versions.declare(type, declaration);
  }

  /**
   * The stored records of up to `limit` sequenced events after position `after`, as they are kept
   * (payloads not upcast): what `causeway journal copy` reads.
   * @internal
   */
  async exportRecords(after: number, limit: number): Promise<EventRecord[]> {
    this.open();
    return this.reads.recordsAfter(after, await this.head(), limit);
  }

  /**
   * Writes events exactly as another journal keeps them, after this journal's last: what
   * `causeway journal copy` writes (it checks their chain first).
   * @internal
   */
  async importRecords(records: readonly EventRecord[]): Promise<void> {
    this.open();
    await importRecords(this.pool, this.ctx.st, records);
  }

  /**
   * A cursor worker: batches of `region` in global order, its progress saved in the journal's
   * database under `checkpointId`, where one worker per checkpoint id runs at a time across every
   * process (another takes over once a stopped worker's lease of `leaseMs` lapses). The lease is
   * confirmed before each batch; a worker that loses it waits to take it back. A handler paused for
   * longer than the lease (its process stopped mid-batch) may still finish beside the new holder,
   * but its checkpoint is refused, so `context.saveCheckpointIn(tx)` (the checkpoint saved in the
   * handler's own transaction) keeps its writes exactly once.
   */
  cursorWorker<T extends E['type'] = E['type']>(
    region: Region<T>,
    config: PostgresCursorWorkerConfig,
    handler: (
      batch: StoredEventOf<EventOfType<E, T>>[],
      context: PostgresCursorWorkerContext,
    ) => CursorWorkerOutcome | Promise<CursorWorkerOutcome>,
  ): CursorWorkerHandle {
    this.open();
    return this.consumer(
      startPostgresCursorWorker(this.feed(), region, config, handler as CursorWorkerHandler),
    );
  }

  /** A reactor, as the embedded journal's: reactions appended once per source, whichever process runs it. */
  reactor<T extends E['type']>(options: ReactorOptions<E, T>): CursorWorkerHandle {
    this.open();
    const { region, config, handler } = reactorWorker(options as unknown as ReactorOptions, (items) =>
      this.appendBatch(items as BatchItem<E>[]),
    );
    return this.consumer(startPostgresCursorWorker(this.feed(), region, config, handler));
  }

  /**
   * The consumer checkpoints kept in this journal's database (cursor workers, reactors as
   * `reactor.<name>`, relays), whichever process runs them: region, position, and `ahead` when it
   * covers events the journal does not have.
   */
  async checkpoints(): Promise<CheckpointSummary[]> {
    this.open();
    const { rows } = await this.ex.query(this.ctx.st.listCheckpoints);
    return rows.map((r) => ({
      id: String(r.id),
      region: JSON.parse(String(r.region)) as Region,
      position: Number(r.position),
      status: Number(r.position) > Number(r.head) ? 'ahead' : 'ok',
    }));
  }

  /** Relays events to a broker through `sink`, as the embedded journal's `sinkTo`; the checkpoint lives in this database. */
  sinkTo(sink: Sink, options?: SinkRelayOptions): SinkRelayHandle {
    this.open();
    const relay = relayToSink(
      {
        cursorWorker: (region, config, handler) => this.cursorWorker(region, config, handler),
        watermarks: () => this.watermarks(),
        // Events are visible once the sequencing round that positioned them committed durably.
        makeDurable: async () => {},
        checkpoints: () => this.checkpoints(),
        logger: this.logger,
      },
      sink,
      options,
    );
    return relay;
  }

  /**
   * Folds a projection over its region (or one stream's part of it): incrementally, from what this
   * process folded before. `maybe-stale` answers from that without reading.
   */
  async project<S, T extends E['type'] = E['type']>(
    projection: Projection<S, E, T>,
    options: ProjectOptions = {},
  ): Promise<ProjectionState<S>> {
    this.open();
    validateProjection(projection as unknown as Projection<unknown>);
    const { entity, freshness } = projectOptions(options);
    const key = `${projection.name}\n${projection.version}\n${entity ?? ''}`;
    const cached = this.folds.get(key) as ProjectionState<S> | undefined;
    if (cached && freshness === 'maybe-stale') return cached;
    let { state, position } = cached ?? { state: projection.initial(), position: 0 };
    const region = projection.region ?? {};
    const head = await this.head();
    const apply = (e: StoredEvent) => {
      try {
        state = projection.apply(state, e as StoredEventOf<E, T>);
      } catch (err) {
        this.folds.delete(key); // apply may have changed the cached state before it threw
        throw err;
      }
    };
    if (entity === undefined) {
      for (let done = false; !done; ) {
        const page = await this.reads.readAll({ after: position, limit: 1000, region }, head);
        for (const e of page.events) apply(e);
        position = page.nextAfter;
        done = page.done;
      }
    } else {
      for (const e of await this.reads.readStream(entity))
        if (e.position > position && e.position <= head && regionMatches(region, e)) apply(e);
      position = Math.max(position, head);
    }
    const folded = { state, position };
    this.folds.set(key, folded);
    return folded;
  }

  private consumer(handle: CursorWorkerHandle): CursorWorkerHandle {
    this.consumers.add(handle);
    void handle
      .join()
      .catch(() => {})
      .finally(() => this.consumers.delete(handle));
    return handle;
  }

  /** What this journal's cursor workers use of it. */
  private feed(): CursorWorkerFeed {
    return {
      ex: this.ex,
      st: this.ctx.st,
      logger: this.logger,
      readAll: (options) => this.readAll(options as ReadAllOptions<E['type']>) as Promise<ReadPage>,
      idAt: async (position) => {
        const [record] = await this.reads.recordsAfter(position - 1, position, 1);
        return record && idToString(record.id);
      },
      head: () => this.head(),
      onRound: (listener) => this.sequencing.onRound(listener),
    };
  }

  /** Closes the journal (and its pool, when it opened one). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.consumers].map((c) => c.stopAndJoin()));
    await Promise.allSettled([...this.working]);
    await this.sequencing.close();
    if (this.ownsPool) await this.pool.end();
  }
}

/**
 * Opens the journal kept in PostgreSQL: `target` is a `postgres://` URL (the journal opens a pool
 * of its own and closes it with the journal) or a `pg` Pool (left open). Creates or updates the
 * schema unless `migrate: 'verify'`. Any number of processes may open the same journal.
 */
export function openPostgresJournal<E extends JournalEvent = JournalEvent>(
  target: string | pg.Pool,
  options?: PostgresJournalOptions,
): Promise<PostgresJournal<E>> {
  return PostgresJournal.open<E>(target, options);
}
