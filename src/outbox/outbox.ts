import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { InvalidArgument, OutboxStopped, UnsupportedDatabase } from '../errors.js';
import { silentLogger } from '../logger.js';
import { isSync, type SqlDialect, type SqlTarget, toSqlExecutor } from '../sql/index.js';
import { Notifier, poker, Semaphore, TaskSet } from '../worker/index.js';
import { Availability } from './availability.js';
import { connect, type OutboxDatabase } from './connect.js';
import { DeadLetters } from './dead-letters.js';
import type { Dialect } from './dialects/dialect.js';
import { tablesFor } from './dialects/dialect.js';
import { mysql } from './dialects/mysql/index.js';
import { postgres } from './dialects/postgres/index.js';
import { sqlite } from './dialects/sqlite/index.js';
import { buildStatements } from './dialects/statements.js';
import {
  type EnqueueSettings,
  encodeAll,
  enqueueAsync,
  enqueuePlan,
  enqueueSync,
  inEnqueueSpan,
} from './enqueue.js';
import { SequencerHints } from './hints.js';
import { checkColumns, migrate, migrationSql } from './migrations.js';
import { type ResolvedOptions, resolveOptions, settingsFor } from './options.js';
import { partitionStates } from './partition-states.js';
import { queueStats } from './queue-stats.js';
import { type QueueInfo, QueueRegistry } from './registry.js';
import { Reporter } from './reporter.js';
import type { Runtime } from './runtime.js';
import { type AppliedMigrations, applyMigrations, type SchemaAdminOptions } from './schema-admin.js';
import { Counters } from './stats.js';
import type {
  Enqueued,
  NewMessage,
  OutboxOptions,
  PartitionState,
  PartitionStateOptions,
  QueueStats,
} from './types.js';
import { WakeupListener } from './wakeups.js';
import { LeasedAcks } from './workers/acks.js';
import { handlerScope } from './workers/handler-scope.js';
import { PartitionProcessor } from './workers/processor.js';
import { Reconciler } from './workers/reconciler.js';
import { Sequencer } from './workers/sequencer.js';
import { Vacuum } from './workers/vacuum.js';

const DIALECTS: Record<SqlDialect, Dialect> = { postgres, mysql, sqlite };

/**
 * A transactional outbox. Enqueue inside your own transaction; background workers sequence each
 * partition and deliver it in order to the queue's handler. Create with {@link Outbox.start}
 * (workers run here), {@link Outbox.producer} (enqueue only) or {@link Outbox.builder}.
 */
export class Outbox {
  /** Dead letters of every queue in this outbox's tables. */
  readonly deadLetters: DeadLetters;
  private readonly enqueueSettings: EnqueueSettings;
  private readonly tasks = new TaskSet();
  private readonly processors: PartitionProcessor[] = [];
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly rt: Runtime,
    private readonly options: ResolvedOptions,
  ) {
    this.enqueueSettings = {
      sql: rt.sql,
      maxPayloadBytes: options.maxPayloadBytes,
      notifyChannel: rt.notifyChannel,
    };
    this.deadLetters = new DeadLetters(rt.conn, rt.sql, rt.registry, this.enqueueSettings, (ids) =>
      this.enqueued(ids),
    );
  }

  /** A fluent way to assemble the options of {@link Outbox.start}. */
  static builder(database: OutboxDatabase): OutboxBuilder {
    return new OutboxBuilder(database);
  }

  /**
   * Connects, migrates (unless `migrate: 'verify'`), registers the declared queues and starts the
   * sequencers, the processors of queues with a delivery, vacuum and the reconciler.
   */
  static async start(database: OutboxDatabase, options: OutboxOptions = {}): Promise<Outbox> {
    const outbox = await Outbox.open(database, options);
    try {
      await outbox.startWorkers();
    } catch (e) {
      await outbox.stop();
      throw e;
    }
    if (options.stopOnSignals) outbox.stopOnSignals();
    return outbox;
  }

  /** SIGTERM or SIGINT: stop gracefully, then raise the signal again for its usual effect. */
  private stopOnSignals(): void {
    const signals = ['SIGTERM', 'SIGINT'] as const;
    const onSignal = (signal: NodeJS.Signals) => {
      for (const s of signals) process.off(s, onSignal);
      this.rt.logger.info({ signal }, 'outbox stopping on a signal');
      void this.stop()
        .catch(() => {}) // logged by stop()
        .finally(() => process.kill(process.pid, signal));
    };
    for (const s of signals) process.on(s, onSignal);
    this.cleanups.push(() => {
      for (const s of signals) process.off(s, onSignal);
    });
  }

  /** An outbox that only enqueues (and administers): no background workers in this process. */
  static async producer(database: OutboxDatabase, options: OutboxOptions = {}): Promise<Outbox> {
    return Outbox.open(database, options);
  }

  /**
   * Brings the outbox tables of `database` to this version's schema and returns what it applied,
   * for a deploy step that migrates before the application starts with `migrate: 'verify'`
   * (`causeway outbox migrate` does the same). Safe to repeat and beside starting outboxes.
   */
  static migrate(database: OutboxDatabase, options: SchemaAdminOptions = {}): Promise<AppliedMigrations> {
    return applyMigrations(database, options);
  }

  /** The schema of `dialect` as SQL, for review or for applying by hand. */
  static migrationSql(dialect: SqlDialect, prefix = 'outbox'): string {
    const d = DIALECTS[dialect];
    if (!d) throw new InvalidArgument(`unknown dialect ${JSON.stringify(dialect)}`);
    return migrationSql(d, prefix);
  }

  private static async open(database: OutboxDatabase, options: OutboxOptions): Promise<Outbox> {
    const resolved = resolveOptions(options);
    const logger = options.logger ?? silentLogger;
    const { dialect, connection } = connect(database, logger, resolved.migrate === 'verify');
    try {
      await migrate(connection, dialect, resolved.prefix, resolved.migrate);
      await checkColumns(connection.executor, tablesFor(resolved.prefix), resolved.prefix);
      const sql = buildStatements(tablesFor(resolved.prefix), dialect);
      const registry = new QueueRegistry(sql);
      for (const [name, q] of resolved.queues)
        await registry.register(connection.executor, name, q.partitions);
      const rt: Runtime = {
        conn: connection,
        dialect,
        sql,
        registry,
        hints: new SequencerHints(!dialect.capabilities.notifyOnCommit),
        processors: new Map(),
        processorSlots: new Semaphore(resolved.processors),
        acks: sql.ackLeasedMany ? new LeasedAcks(connection.executor, sql.ackLeasedMany) : null,
        counters: new Counters(),
        tuning: resolved.tuning,
        notifyChannel: dialect.capabilities.notifyOnCommit ? `${resolved.prefix}_wake` : null,
        owner: options.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
        logger,
        reporter: new Reporter(logger, options),
      };
      return new Outbox(rt, resolved);
    } catch (e) {
      await connection.close().catch(() => {});
      throw e;
    }
  }

  /** The database dialect in use. */
  get dialect(): SqlDialect {
    return this.rt.dialect.name;
  }

  /** The table-name prefix in use. */
  get prefix(): string {
    return this.options.prefix;
  }

  /**
   * Enqueues a message inside the caller's transaction `tx` (a driver connection in a transaction,
   * or a Kysely, Knex, Drizzle or Prisma transaction). Nothing is visible until it commits; a
   * rollback leaves nothing. Bad input throws before anything is written.
   */
  async enqueue(tx: SqlTarget, queue: string, message: NewMessage): Promise<Enqueued> {
    return (await this.enqueueBatch(tx, queue, [message]))[0];
  }

  /** Enqueues several messages to one queue inside the caller's transaction, in order. */
  async enqueueBatch(tx: SqlTarget, queue: string, messages: readonly NewMessage[]): Promise<Enqueued[]> {
    return inEnqueueSpan(queue, messages?.length, () => this.enqueueIn(tx, queue, messages));
  }

  private async enqueueIn(
    tx: SqlTarget,
    queue: string,
    messages: readonly NewMessage[],
  ): Promise<Enqueued[]> {
    this.checkOpen(messages);
    const ex = toSqlExecutor(tx, this.dialect);
    const info = await this.rt.registry.resolve(ex, queue);
    const encoded = encodeAll(messages, info, this.options.maxPayloadBytes);
    const results = await enqueueAsync(this.enqueueSettings, ex, info, encoded);
    return this.enqueuedTo(info, results);
  }

  /**
   * Enqueues synchronously through a better-sqlite3 database, for use inside `db.transaction(...)`.
   * Bad input throws (so the transaction rolls back) before anything is written.
   */
  enqueueSync(db: SqlTarget, queue: string, message: NewMessage): Enqueued {
    return this.enqueueBatchSync(db, queue, [message])[0];
  }

  /** {@link enqueueSync} for several messages. */
  enqueueBatchSync(db: SqlTarget, queue: string, messages: readonly NewMessage[]): Enqueued[] {
    return inEnqueueSpan(queue, messages?.length, () => this.enqueueInSync(db, queue, messages));
  }

  private enqueueInSync(db: SqlTarget, queue: string, messages: readonly NewMessage[]): Enqueued[] {
    this.checkOpen(messages);
    const ex = toSqlExecutor(db, this.dialect);
    if (!isSync(ex))
      throw new UnsupportedDatabase('enqueueSync needs a better-sqlite3 database; use enqueue');
    const info = this.rt.registry.resolveSync(ex, queue);
    const encoded = encodeAll(messages, info, this.options.maxPayloadBytes);
    const results = enqueueSync(this.enqueueSettings, ex, info, encoded);
    return this.enqueuedTo(info, results);
  }

  /**
   * Enqueues in a transaction of the outbox's own, committed when this resolves: for producers
   * with no database transaction to join, such as a relay from the journal (use `dedupeKey` to make
   * a retry harmless).
   */
  async enqueueAndCommit(queue: string, messages: readonly NewMessage[]): Promise<Enqueued[]> {
    return inEnqueueSpan(queue, messages?.length, () => this.enqueueCommitted(queue, messages));
  }

  private async enqueueCommitted(queue: string, messages: readonly NewMessage[]): Promise<Enqueued[]> {
    this.checkOpen(messages);
    const info = await this.rt.registry.resolve(this.rt.conn.executor, queue);
    const encoded = encodeAll(messages, info, this.options.maxPayloadBytes);
    const results = await this.rt.conn.transactionPlan(() =>
      enqueuePlan(this.enqueueSettings, info, encoded),
    );
    return this.enqueuedTo(info, results);
  }

  /** Registers a queue (a producer may enqueue to queues no running process declared). */
  async registerQueue(name: string, partitions: number): Promise<void> {
    if (this.stopping) throw new OutboxStopped();
    await this.rt.registry.register(this.rt.conn.executor, name, partitions);
  }

  /** Depth, lag, oldest age and dead letters of every queue, with this process's counters. */
  stats(): Promise<QueueStats[]> {
    return queueStats(this.rt.conn, this.rt.sql, this.rt.counters);
  }

  /**
   * One queue's partitions, in order: how far each is sequenced and delivered, who holds its lease,
   * its retries and last error, and whether it is stuck. A queue nobody registered is an
   * {@link UnknownQueue}.
   */
  async partitions(queue: string, options?: PartitionStateOptions): Promise<PartitionState[]> {
    await this.rt.registry.resolve(this.rt.conn.executor, queue);
    return partitionStates(this.rt.conn, this.rt.sql, queue, options);
  }

  /**
   * Stops the workers (runs in flight finish and acknowledge), gives leases back, so other
   * processes take over at once, and closes the connections the outbox opened. Calling it twice is
   * harmless. Called from inside one of this outbox's handlers, it resolves at once, and the stop
   * completes after that handler has returned.
   */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        await this.tasks.shutdown();
        for (const p of this.processors)
          await p.releaseLease().catch((err) => this.rt.logger.warn({ err }, 'outbox lease not given back'));
        for (const c of this.cleanups.splice(0)) await c();
        await this.rt.conn.close();
      })();
      this.stopping.catch((err) => this.rt.logger.error({ err }, 'outbox stop failed'));
    }
    return handlerScope.getStore() === this.rt ? Promise.resolve() : this.stopping;
  }

  private checkOpen(messages: readonly NewMessage[]): void {
    if (this.stopping) throw new OutboxStopped();
    if (!Array.isArray(messages) || messages.length === 0)
      throw new InvalidArgument('enqueue needs at least one message');
  }

  /**
   * In-process wake-up after an enqueue (the sequencer retries briefly if the commit lags). Where the
   * database announces commits (PostgreSQL), that announcement is the wake-up: a hint now, before the
   * caller commits, would only cost a sequencing pass that finds nothing.
   */
  /** Tells the sequencers which partitions got new (not deduplicated) messages; returns `results`. */
  private enqueuedTo(queue: QueueInfo, results: Enqueued[]): Enqueued[] {
    this.enqueued(results.filter((r) => !r.duplicate).map((r) => queue.ids[r.partition]));
    return results;
  }

  private enqueued(partitionIds: number[]): void {
    if (partitionIds.length > 0 && !this.rt.dialect.capabilities.notifyOnCommit)
      this.rt.hints.add(partitionIds);
  }

  private async startWorkers(): Promise<void> {
    const { rt, options } = this;
    const { tuning } = rt;
    const listener = [rt.reporter.workerListener()];
    const stopped = new AbortController();
    this.cleanups.push(() => stopped.abort());
    const availability = new Availability(rt, stopped.signal);
    const backoff = { initial: 100, max: 10_000, multiplier: 2, jitter: 0.1 };

    const guaranteed = new Semaphore(options.maintenance.guaranteed);
    const shared = new Semaphore(options.maintenance.shared);
    const sequencers = options.maintenance.guaranteed + options.maintenance.shared;
    for (let i = 0; i < sequencers; i++)
      this.tasks.spawn({
        name: `sequencer-${i}`,
        category: 'sequencer',
        action: availability.guard(new Sequencer(rt)),
        notifiers: [rt.hints.notifier],
        limit: { kind: 'tiered', guaranteed, shared },
        backoff,
        listeners: listener,
      });

    for (const [queue, declaration] of options.queues) {
      if (!declaration.delivery) continue;
      const settings = settingsFor(declaration.delivery, tuning);
      const info = await rt.registry.resolve(rt.conn.executor, queue);
      for (let p = 0; p < info.partitions; p++) {
        const id = info.ids[p];
        const notifier = new Notifier();
        const processor = new PartitionProcessor(rt, queue, p, id, declaration.delivery, settings, notifier);
        rt.processors.set(id, processor);
        this.processors.push(processor);
        this.tasks.spawn({
          name: `processor-${queue}-${p}`,
          category: 'processor',
          action: availability.guard(processor),
          notifiers: [notifier],
          limit: { kind: 'fixed', semaphore: rt.processorSlots },
          backoff,
          listeners: listener,
        });
      }
    }

    const vacuumPoker = poker(tuning.vacuumIntervalMs);
    const reconcilePoker = poker(tuning.pollIntervalMs);
    this.cleanups.push(
      () => vacuumPoker.stop(),
      () => reconcilePoker.stop(),
    );
    this.tasks.spawn({
      name: 'vacuum',
      category: 'vacuum',
      action: availability.guard(new Vacuum(rt, options.dedupeRetentionMs)),
      notifiers: [vacuumPoker],
      limit: { kind: 'fixed', semaphore: shared },
      backoff: { ...backoff, initial: 500, max: 60_000 },
      listeners: listener,
    });
    const reconciler = this.tasks.spawn({
      name: 'reconciler',
      category: 'reconciler',
      action: availability.guard(new Reconciler(rt)),
      notifiers: [reconcilePoker],
      backoff,
      listeners: listener,
    });
    if (rt.notifyChannel && rt.conn.listen) {
      const wakeups = new WakeupListener(rt, rt.notifyChannel, () => reconciler.wake());
      this.cleanups.push(() => wakeups.stop());
      await wakeups.start();
    }
    reconciler.wake();
  }
}

/** Assembles {@link OutboxOptions} step by step; `start()` or `producer()` finishes. */
export class OutboxBuilder {
  private readonly options: OutboxOptions & { queues: NonNullable<OutboxOptions['queues']> } = { queues: {} };

  constructor(private readonly database: OutboxDatabase) {}

  /** Sets options (merged over earlier ones). */
  with(options: Omit<OutboxOptions, 'queues'>): this {
    Object.assign(this.options, options);
    return this;
  }

  /** Declares a queue; with a delivery, this process runs its processors. */
  queue(
    name: string,
    partitions: number,
    delivery?: NonNullable<OutboxOptions['queues']>[string]['delivery'],
  ): this {
    if (name in this.options.queues)
      throw new InvalidArgument(`queue ${JSON.stringify(name)} is declared twice`);
    this.options.queues[name] = { partitions, delivery };
    return this;
  }

  start(): Promise<Outbox> {
    return Outbox.start(this.database, this.options);
  }

  producer(): Promise<Outbox> {
    return Outbox.producer(this.database, this.options);
  }
}
