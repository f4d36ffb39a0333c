import { DeliveryEnded, LeaseLost } from '../../errors.js';
import { type Plan, runPlan, type SqlExecutor } from '../../sql/index.js';
import { Directive, type Notifier, type Release, type WorkerAction } from '../../worker/index.js';
import { decodeMessage } from '../message.js';
import { type LocalProcessor, num, type Runtime } from '../runtime.js';
import type { Delivery, LeasedContext, Message, TransactionalContext } from '../types.js';
import { acknowledged, type Lease, LeaseKeeper, newToken, renewed, type StartRecord } from './lease.js';
import { watchLockHolding } from './lock-watch.js';
import { type Decision, decide, HandlerTimedOut } from './outcomes.js';

/**
 * The decision for a message whose deliveries kept starting without an outcome (its handler ends
 * the process, or the process is killed while it runs): it goes to the dead letters unhandled.
 */
const unfinished = (earlier: number): Decision => ({
  acked: 0,
  unhandled: true,
  next: {
    kind: 'reject',
    reason: `delivery started ${earlier} times without an outcome (does its handler end the process?)`,
  },
});

/** Messages a delivery begins with, and how it begins. */
type Taken = Started & { readonly rows: Record<string, unknown>[] };

/**
 * The start record of a delivery of `rows` that follows a finished one: a lone message counts its
 * first start; a batch counts none (should it not end, its first message goes alone next).
 */
const freshStart = (rows: Record<string, unknown>[]): StartRecord => ({
  seq: num(rows[0].seq),
  started: rows.length === 1 ? 1 : 0,
  until: num(rows[rows.length - 1].seq),
});

/** True when the holder knows the partition's start record covers nothing it has not acknowledged. */
const startsFresh = (held: Lease): boolean => held.start !== undefined && held.start.until <= held.acked;

/** A transactional run whose handler ran past its deadline. */
interface TimedOut {
  readonly timedOut: HandlerTimedOut;
  /** The first message's attempts before that run. */
  readonly earlier: number;
}

/** How a delivery begins: the first message's earlier attempts, and whether it goes alone. */
interface Started {
  readonly earlier: number;
  readonly alone: boolean;
}

export interface ProcessorReport {
  readonly delivered: number;
}

/** A partition processor's settings, defaults applied. */
export interface ProcessorSettings {
  readonly batchSize: number;
  readonly maxAttempts: number;
  readonly leaseMs: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly retryMultiplier: number;
  readonly handlerTimeoutMs: number;
}

/** What a decision wrote, and what the worker does next. */
interface Applied {
  readonly directive: Directive<ProcessorReport>;
  readonly delivered: number;
  readonly retried: boolean;
  readonly rejected: boolean;
  /** The message that failed, reported once what was written has committed. */
  readonly failure?: {
    readonly message: Message;
    readonly attempt: number;
    readonly reason: string;
    readonly delayMs?: number;
    readonly error?: unknown;
  };
}

/**
 * Delivers one partition strictly in sequence order. Leased mode holds a lease (renewed by
 * heartbeats) while the handler runs outside any transaction: at-least-once. Transactional mode
 * locks the partition's cursor row and runs the handler in the transaction that acknowledges:
 * exactly-once for the handler's writes in the same database.
 */
export class PartitionProcessor implements WorkerAction<ProcessorReport>, LocalProcessor {
  /** Leased mode: kept between runs, so a busy partition is not re-claimed per batch. */
  private held: Lease | null = null;
  /** The last run found nothing to do: the worker waits for a wake. */
  private waiting = false;
  /** The lease under which the sequencer is reading this processor's next messages. */
  private reserved: Lease | null = null;
  /** A processor slot taken with the reservation, so what is handed over starts at once. */
  private permit: Release | null = null;
  /** Messages the sequencer read (their start recorded) under `lease`. */
  private handed: { readonly lease: Lease; readonly rows: Record<string, unknown>[] } | null = null;
  private readonly where: { queue: string; partition: number };

  private readonly delivery: Delivery;

  constructor(
    private readonly rt: Runtime,
    queue: string,
    partition: number,
    private readonly partitionId: number,
    delivery: Delivery,
    private readonly settings: ProcessorSettings,
    private readonly notifier: Notifier,
  ) {
    this.where = { queue, partition };
    this.delivery =
      delivery.mode === 'transactional' && rt.dialect.capabilities.singleWriter
        ? watchLockHolding(delivery, queue, rt.logger)
        : delivery;
  }

  wake(): void {
    this.notifier.wake();
  }

  reserve(): { acked: number; limit: number } | null {
    const held = this.held;
    if (this.delivery.mode !== 'leased' || !this.waiting || this.reserved || this.handed || !held)
      return null;
    if (held.expiresAt - this.settings.leaseMs / 2 <= Date.now() || !startsFresh(held)) return null;
    this.permit = this.rt.processorSlots.tryAcquire();
    if (!this.permit) return null;
    this.reserved = held;
    return { acked: held.acked, limit: this.settings.batchSize };
  }

  takePermit(): Release | null {
    // A run while the sequencer reads (woken otherwise) returns at once, on a slot of its own.
    if (this.reserved) return null;
    const permit = this.permit;
    this.permit = null;
    return permit;
  }

  handOver(rows: Record<string, unknown>[]): void {
    const lease = this.reserved;
    this.reserved = null;
    if (lease && rows.length > 0) this.handed = { lease, rows };
    this.notifier.wake();
  }

  async execute(signal: AbortSignal) {
    // The sequencer is reading this partition's next messages for it, and wakes it when it has.
    if (this.reserved) return Directive.idle<ProcessorReport>({ delivered: 0 });
    this.waiting = false;
    const directive = await this.run(signal);
    this.waiting = directive.kind === 'idle';
    return directive;
  }

  private async run(signal: AbortSignal) {
    try {
      return this.delivery.mode === 'leased' ? await this.runLeased(signal) : await this.runLocked(signal);
    } catch (e) {
      if (!(e instanceof LeaseLost)) throw e;
      this.held = null;
      this.rt.counters.of(this.where.queue).leasesLost++;
      this.rt.logger.warn(
        { ...this.where },
        'outbox lease lost before acknowledgement; another holder redelivers',
      );
      return Directive.idle<ProcessorReport>({ delivered: 0 });
    }
  }

  /**
   * Gives the lease back (when the outbox stops), so another process can take over at once, and
   * takes back the start recorded for messages handed over that no run delivered.
   */
  async releaseLease(): Promise<void> {
    this.permit?.();
    this.permit = null;
    const { held, handed } = this;
    this.held = null;
    this.handed = null;
    const { sql, conn } = this.rt;
    if (handed) {
      const start = freshStart(handed.rows);
      const before = start.seq - 1;
      await conn.executor.query(sql.withdrawStart, [
        before,
        before,
        this.partitionId,
        start.seq,
        start.started,
        start.until,
      ]);
    }
    if (held) await conn.executor.query(sql.releaseLease, [this.partitionId, held.token]);
  }

  private messages(rows: Record<string, unknown>[], attempts: number): Message[] {
    return rows.map((r, i) =>
      decodeMessage(r, this.where.queue, this.where.partition, i === 0 ? attempts : 0),
    );
  }

  /**
   * The lease: kept from an earlier run while more than half of it is left, otherwise claimed (or
   * renewed) with the cursor read. A number is how long to wait: another process holds the
   * partition, or its head message waits for a retry.
   */
  private async claim(): Promise<Lease | number> {
    const { sql, conn, owner } = this.rt;
    const { leaseMs } = this.settings;
    const startedAt = Date.now();
    if (this.held && this.held.expiresAt - leaseMs / 2 > startedAt) return this.held;
    const token = newToken();
    const claimed = await conn.executor.query(sql.claimLease, [
      owner,
      token,
      leaseMs,
      this.partitionId,
      this.held?.token ?? '',
    ]);
    const cursor = (await conn.executor.query(sql.readCursor, [this.partitionId])).rows[0];
    const earlier = this.held;
    if (claimed.rowCount === 0) {
      this.held = null;
      return Math.max(1, num(cursor?.retry_left), num(cursor?.lease_left));
    }
    const acked = num(cursor.acked_seq);
    // A renewal of a lease that had not run out: nobody else wrote the partition meanwhile.
    if (earlier && earlier.expiresAt > startedAt && earlier.acked === acked) {
      renewed(earlier, token, startedAt, leaseMs);
      earlier.attempts = num(cursor.attempts);
      return earlier;
    }
    this.held = { token, expiresAt: startedAt + leaseMs, acked, attempts: num(cursor.attempts) };
    return this.held;
  }

  private async runLeased(signal: AbortSignal) {
    const { conn } = this.rt;
    const { leaseMs } = this.settings;
    const held = await this.claim();
    if (typeof held === 'number') return Directive.sleep<ProcessorReport>(held + 5);
    const taken = (await this.handedTo(held)) ?? (await this.take(held));
    // Idle: the lease is kept (it lapses unless work comes), so the next message needs no claim.
    if (!taken) return Directive.idle<ProcessorReport>({ delivered: 0 });
    const { rows, earlier, alone } = taken;
    const messages = this.messages(alone ? rows.slice(0, 1) : rows, earlier);
    let decision: Decision;
    if (earlier >= this.settings.maxAttempts) decision = unfinished(earlier);
    else {
      const keeper = new LeaseKeeper(this.rt, this.partitionId, this.where, held, leaseMs, signal);
      const call = {
        context: (s: AbortSignal): LeasedContext => ({
          ...this.where,
          signal: s,
          heartbeat: () => keeper.beat(),
        }),
        timeoutMs: this.settings.handlerTimeoutMs,
        scope: this.rt,
        counters: this.rt.counters.of(this.where.queue),
      };
      try {
        decision = await decide(this.delivery, messages, call, keeper.signal);
      } finally {
        await keeper.stop();
      }
      if (keeper.lost) throw new LeaseLost(this.where.queue, this.where.partition);
    }
    const applied = await this.apply(
      decision,
      messages,
      rows.length,
      held.acked,
      earlier,
      conn.executor,
      held,
    );
    this.count(applied);
    return applied.directive;
  }

  private async runLocked(signal: AbortSignal) {
    if (this.rt.dialect.capabilities.singleWriter) return this.runLockedSingleWriter(signal);
    const { sql, conn } = this.rt;
    let started: Started | null = null;
    const applied = await conn
      .transaction(async (tx, client): Promise<Applied | null> => {
        const cursor = (await tx.query(sql.lockCursor, [this.partitionId])).rows[0];
        // Another process holds the cursor: it drains the partition, or on a crash the reconciler wakes us.
        if (!cursor) return null;
        const retryLeft = num(cursor.retry_left);
        if (retryLeft > 0)
          return { directive: Directive.sleep(retryLeft + 5), delivered: 0, retried: false, rejected: false };
        const acked = num(cursor.acked_seq);
        const rows = (await tx.query(sql.selectMessages, [this.partitionId, acked, this.settings.batchSize]))
          .rows;
        if (rows.length === 0) return null;
        // Counted on another connection, so the count outlives this transaction's rollback.
        started = await this.beginDelivery(conn.executor, rows, num(cursor.attempts));
        return this.deliverInTransaction(tx, client, rows, acked, started, signal);
      })
      .catch((e: unknown) => this.timedOut(e, started));
    return this.finish(applied);
  }

  /**
   * SQLite: the start is counted before the transaction (its write lock would keep the count
   * waiting), under a claim on the partition, so processes sharing the file never count each
   * other's deliveries; the claim is given back when the run ends, or lapses after `leaseMs`.
   */
  private async runLockedSingleWriter(signal: AbortSignal) {
    const { sql, conn, owner } = this.rt;
    const token = newToken();
    const claimed = await conn.executor.query(sql.claimLease, [
      owner,
      token,
      this.settings.leaseMs,
      this.partitionId,
      '',
    ]);
    const cursor = (await conn.executor.query(sql.readCursor, [this.partitionId])).rows[0];
    if (claimed.rowCount === 0)
      return Directive.sleep<ProcessorReport>(
        Math.max(1, num(cursor?.retry_left), num(cursor?.lease_left)) + 5,
      );
    let started: Started | null = null;
    try {
      const acked = num(cursor.acked_seq);
      const rows = (
        await conn.executor.query(sql.selectMessages, [this.partitionId, acked, this.settings.batchSize])
      ).rows;
      if (rows.length === 0) return Directive.idle<ProcessorReport>({ delivered: 0 });
      started = await this.beginDelivery(conn.executor, rows, num(cursor.attempts));
      const begun = started;
      const applied = await conn
        .transaction(async (tx, client): Promise<Applied | null> => {
          const locked = (await tx.query(sql.lockCursor, [this.partitionId])).rows[0];
          if (!locked || num(locked.acked_seq) !== acked) return null;
          return this.deliverInTransaction(tx, client, rows, acked, begun, signal);
        })
        .catch((e: unknown) => this.timedOut(e, started));
      return await this.finish(applied);
    } finally {
      await conn.executor.query(sql.releaseLease, [this.partitionId, token]).catch(() => {});
    }
  }

  /** Runs the handler over `rows` in the transaction `tx` and writes its decision there. */
  private async deliverInTransaction(
    tx: SqlExecutor,
    client: unknown,
    rows: Record<string, unknown>[],
    acked: number,
    started: Started,
    signal: AbortSignal,
  ): Promise<Applied> {
    const { earlier, alone } = started;
    const messages = this.messages(alone ? rows.slice(0, 1) : rows, earlier);
    if (earlier >= this.settings.maxAttempts)
      return this.apply(unfinished(earlier), messages, rows.length, acked, earlier, tx, null);
    // The handler's executor works only while its delivery runs: a handler past its deadline may
    // still try to use it after the transaction has been rolled back.
    let ended = false;
    const handlerTx: SqlExecutor = {
      dialect: tx.dialect,
      query: (q, params) =>
        ended
          ? Promise.reject(new DeliveryEnded(this.where.queue, this.where.partition))
          : tx.query(q, params),
    };
    const call = {
      context: (s: AbortSignal): TransactionalContext => ({
        ...this.where,
        tx: handlerTx,
        client,
        signal: s,
      }),
      timeoutMs: this.settings.handlerTimeoutMs,
      savepoints: tx,
      scope: this.rt,
      counters: this.rt.counters.of(this.where.queue),
    };
    try {
      const decision = await decide(this.delivery, messages, call, signal);
      return await this.apply(decision, messages, rows.length, acked, earlier, tx, null);
    } finally {
      ended = true;
    }
  }

  /** A transactional run's end: its outcome counted and reported, and what the worker does next. */
  private async finish(applied: Applied | TimedOut | null) {
    if (applied && 'timedOut' in applied) return this.recordTimeout(applied);
    if (!applied) return Directive.idle<ProcessorReport>({ delivered: 0 });
    this.count(applied);
    return applied.directive;
  }

  /** A transactional run that ended by {@link HandlerTimedOut}; any other error goes on up. */
  private timedOut(e: unknown, started: Started | null): TimedOut {
    if (!(e instanceof HandlerTimedOut) || !started) throw e;
    return { timedOut: e, earlier: started.earlier };
  }

  /**
   * After a transactional handler ran past its deadline (its transaction rolled back, its connection
   * closed): a timeout of the first message is its failed attempt, recorded in a transaction of its
   * own; one later in the run is counted when that message comes first, since the next run delivers
   * the first alone.
   */
  private async recordTimeout({ timedOut, earlier }: TimedOut) {
    const { sql, conn } = this.rt;
    if (timedOut.index > 0) return Directive.proceed<ProcessorReport>({ delivered: 0 });
    const applied = await conn.transaction(async (tx) => {
      const cursor = (await tx.query(sql.lockCursor, [this.partitionId])).rows[0];
      if (!cursor) return null;
      const acked = num(cursor.acked_seq);
      const rows = (await tx.query(sql.selectMessages, [this.partitionId, acked, 1])).rows;
      if (rows.length === 0) return null;
      const retry = { acked: 0, next: { kind: 'retry' as const, reason: timedOut.message }, error: timedOut };
      return this.apply(retry, this.messages(rows, earlier), rows.length, acked, earlier, tx, null);
    });
    if (!applied) return Directive.proceed<ProcessorReport>({ delivered: 0 });
    this.count(applied);
    return applied.directive;
  }

  /**
   * Messages the sequencer read for this holder, when they are still the next ones. A lease that
   * lapsed meanwhile (the processor waited for a slot) may have let another process begin a
   * delivery: the start the sequencer recorded is this delivery's only while it is still the
   * partition's record.
   */
  private async handedTo(held: Lease): Promise<Taken | null> {
    const handed = this.handed;
    if (!handed) return null;
    const start = freshStart(handed.rows);
    const usable =
      start.seq === held.acked + 1 && (handed.lease === held || (await this.isStartRecord(start)));
    // Cleared only after the read: should it fail, the next run looks again, rather than take the
    // recorded start for an earlier one.
    this.handed = null;
    if (!usable) return null;
    held.start = start;
    return { rows: handed.rows, earlier: held.attempts, alone: handed.rows.length === 1 };
  }

  /** True when the partition's start record is `start`. */
  private async isStartRecord(start: StartRecord): Promise<boolean> {
    const { sql, conn } = this.rt;
    const record = (await conn.executor.query(sql.readStart, [this.partitionId])).rows[0];
    return (
      record !== undefined &&
      num(record.seq) === start.seq &&
      num(record.started) === start.started &&
      num(record.until_seq) === start.until
    );
  }

  /**
   * Leased mode: the partition's next messages, with their delivery begun (see `beginDelivery`).
   * When the holder knows the start record ends before them, the record that a fresh delivery
   * writes needs nothing read first, and takes the same statement as the messages where the
   * dialect can.
   */
  private async take(held: Lease): Promise<Taken | null> {
    const { sql, conn } = this.rt;
    const params = [this.partitionId, held.acked, this.settings.batchSize];
    if (!startsFresh(held)) {
      const rows = (await conn.executor.query(sql.selectMessages, params)).rows;
      if (rows.length === 0) return null;
      const started = await this.beginDelivery(conn.executor, rows, held.attempts, held);
      return { rows, ...started };
    }
    let rows: Record<string, unknown>[];
    if (sql.takeMessages) rows = (await conn.executor.query(sql.takeMessages, params)).rows;
    else rows = (await conn.executor.query(sql.selectMessages, params)).rows;
    if (rows.length === 0) return null;
    const start = freshStart(rows);
    if (!sql.takeMessages)
      await conn.executor.query(sql.recordStart, [this.partitionId, start.seq, start.started, start.until]);
    held.start = start;
    return { rows, earlier: held.attempts, alone: rows.length === 1 };
  }

  /**
   * Records, durably and before any handler runs, that a delivery of `rows` (from the partition's
   * first undelivered message) begins, and says how: when an earlier delivery of the same message,
   * or of a batch it belongs to, did not end (a failure, a timeout, or a process that died in the
   * handler), the first message is delivered alone, so each such start is charged to the message
   * at fault. `earlier` is its attempts before this one: its lone starts or the failures recorded,
   * whichever is more.
   */
  private async beginDelivery(
    ex: SqlExecutor,
    rows: Record<string, unknown>[],
    failed: number,
    /** Leased mode: the lease that remembers the record written. */
    held?: Lease,
  ): Promise<Started> {
    const { sql } = this.rt;
    const head = num(rows[0].seq);
    const last = num(rows[rows.length - 1].seq);
    const record = (await ex.query(sql.readStart, [this.partitionId])).rows[0];
    const again = record !== undefined && num(record.seq) === head;
    const alone = again || (record !== undefined && head <= num(record.until_seq)) || rows.length === 1;
    const lone = again ? num(record.started) : 0;
    const until = alone ? Math.max(num(record?.until_seq), head) : last;
    const started = alone ? lone + 1 : 0;
    await ex.query(sql.recordStart, [this.partitionId, head, started, until]);
    if (held) held.start = { seq: head, started, until };
    return { earlier: Math.max(lone, failed), alone };
  }

  /**
   * Writes a decision: acknowledge the done prefix; then retry the next message later, or
   * dead-letter it (rejected, or out of attempts) and go on. `held` guards leased writes.
   */
  private async apply(
    d: Decision,
    messages: Message[],
    /** Rows read for the run: more than `messages` when the first went alone. */
    fetched: number,
    acked: number,
    headAttempts: number,
    ex: SqlExecutor,
    held: Lease | null,
  ): Promise<Applied> {
    const { sql, conn } = this.rt;
    const { batchSize, maxAttempts, leaseMs } = this.settings;
    const partitionId = this.partitionId;
    const lost = () => new LeaseLost(this.where.queue, this.where.partition);
    /** The acknowledgement up to `seq` (extending a lease), as statements of a plan. */
    function* acknowledge(seq: number): Plan<void> {
      if (!held) {
        yield { sql: sql.ackLocked, params: [seq, partitionId] };
        return;
      }
      const next = newToken();
      const startedAt = Date.now();
      const r = yield { sql: sql.ackLeased, params: [seq, next, leaseMs, partitionId, held.token] };
      if (r.rowCount === 0) throw lost();
      acknowledged(held, next, startedAt, leaseMs, seq);
    }
    if (!d.next) {
      if (d.acked > 0 && held && this.rt.acks) await this.ackLeased(held, messages[d.acked - 1].seq);
      else if (d.acked > 0) await runPlan(acknowledge(messages[d.acked - 1].seq), ex);
      // More is waiting when the read was full, or the first message went alone ahead of the rest.
      const more = d.acked < messages.length || fetched === batchSize || fetched > messages.length;
      const report = { delivered: d.acked };
      return {
        directive: more ? Directive.proceed(report) : Directive.idle(report),
        delivered: d.acked,
        retried: false,
        rejected: false,
      };
    }
    const failing = messages[d.acked];
    const tries = (d.acked === 0 ? headAttempts : 0) + (d.unhandled ? 0 : 1);
    if (d.next.kind === 'reject' || tries >= maxAttempts) {
      const reason =
        d.next.kind === 'reject'
          ? d.next.reason
          : `gave up after ${tries} attempts: ${d.next.reason ?? 'retry'}`;
      // The acknowledgement and the dead letter commit together, or neither does.
      const deadLetter = function* (): Plan<void> {
        yield* acknowledge(failing.seq);
        yield { sql: sql.deadLetter, params: [tries, reason, partitionId, failing.seq] };
      };
      if (held) await conn.transactionPlan(deadLetter);
      else await runPlan(deadLetter(), ex);
      return {
        directive: Directive.proceed({ delivered: d.acked }),
        delivered: d.acked,
        retried: false,
        rejected: true,
        failure: { message: failing, attempt: tries, reason, error: d.error },
      };
    }
    const delay = d.next.delayMs ?? this.retryDelay(tries);
    const ackTo = d.acked > 0 ? messages[d.acked - 1].seq : acked;
    const params = [ackTo, tries, delay, d.next.reason ?? null, partitionId];
    if (!held) await ex.query(sql.scheduleRetry(false), params);
    else {
      // Scheduling a retry gives the lease up: whoever is free when it is due takes the message.
      const r = await ex.query(sql.scheduleRetry(true), [...params, held.token]);
      this.held = null;
      if (r.rowCount === 0) throw lost();
    }
    return {
      directive: Directive.sleep(delay + 5, { delivered: d.acked }),
      delivered: d.acked,
      retried: true,
      rejected: false,
      failure: {
        message: failing,
        attempt: tries,
        reason: d.next.reason ?? 'retry',
        delayMs: delay,
        error: d.error,
      },
    };
  }

  /** A leased acknowledgement on its own, written with those of other partitions at the same time. */
  private async ackLeased(held: Lease, seq: number): Promise<void> {
    const { leaseMs } = this.settings;
    const nextToken = newToken();
    const startedAt = Date.now();
    const ack = { partitionId: this.partitionId, seq, token: held.token, nextToken, leaseMs };
    if (!(await this.rt.acks!.ack(ack))) throw new LeaseLost(this.where.queue, this.where.partition);
    acknowledged(held, nextToken, startedAt, leaseMs, seq);
  }

  private retryDelay(tries: number): number {
    const { retryInitialMs, retryMaxMs, retryMultiplier } = this.settings;
    return Math.min(retryMaxMs, retryInitialMs * retryMultiplier ** (tries - 1));
  }

  /** Counts what a run did, once it has committed, and reports a failure. */
  private count(a: Applied): void {
    const c = this.rt.counters.of(this.where.queue);
    c.acknowledged(a.delivered);
    if (a.retried) c.retries++;
    if (a.rejected) c.rejected++;
    const f = a.failure;
    if (!f) return;
    const at = { ...this.where, messageId: f.message.id, seq: f.message.seq, type: f.message.type };
    if (a.rejected) this.rt.reporter.deadLettered({ ...at, attempts: f.attempt, reason: f.reason }, f.error);
    else this.rt.reporter.retrying({ ...at, attempt: f.attempt }, f.delayMs ?? 0, f.reason, f.error);
  }
}
