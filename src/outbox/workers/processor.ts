import { LeaseLost } from '../../errors.js';
import type { Plan, SqlExecutor } from '../../sql/index.js';
import { Directive, type WorkerAction } from '../../worker/index.js';
import { decodeMessage } from '../message.js';
import { num, type Runtime } from '../runtime.js';
import type { Delivery, LeasedContext, Message, TransactionalContext } from '../types.js';
import { LeaseKeeper, newToken } from './lease.js';
import { type Decision, decide } from './outcomes.js';

/** Thrown inside a plan to roll it back when the lease turned out to be gone. */
class LeaseLostSignal extends Error {}

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
}

/** What a decision wrote, and what the worker does next. */
interface Applied {
  readonly directive: Directive<ProcessorReport>;
  readonly delivered: number;
  readonly retried: boolean;
  readonly rejected: boolean;
}

/**
 * Delivers one partition strictly in sequence order. Leased mode holds a lease (renewed by
 * heartbeats) while the handler runs outside any transaction: at-least-once. Transactional mode
 * locks the partition's cursor row and runs the handler in the transaction that acknowledges:
 * exactly-once for the handler's writes in the same database.
 */
export class PartitionProcessor implements WorkerAction<ProcessorReport> {
  private token: string | null = null;
  private readonly where: { queue: string; partition: number };

  constructor(
    private readonly rt: Runtime,
    queue: string,
    partition: number,
    private readonly partitionId: number,
    private readonly delivery: Delivery,
    private readonly settings: ProcessorSettings,
  ) {
    this.where = { queue, partition };
  }

  async execute(signal: AbortSignal) {
    try {
      return this.delivery.mode === 'leased' ? await this.runLeased(signal) : await this.runLocked(signal);
    } catch (e) {
      if (!(e instanceof LeaseLost)) throw e;
      this.token = null;
      this.rt.counters.of(this.where.queue).leasesLost++;
      this.rt.logger?.warn(
        { ...this.where },
        'outbox lease lost before acknowledgement; another holder redelivers',
      );
      return Directive.idle<ProcessorReport>({ delivered: 0 });
    }
  }

  /** Gives the lease back (when the outbox stops), so another process can take over at once. */
  async releaseLease(): Promise<void> {
    if (this.token === null) return;
    const token = this.token;
    this.token = null;
    await this.rt.conn.executor.query(this.rt.sql.releaseLease, [this.partitionId, token]);
  }

  private messages(rows: Record<string, unknown>[], attempts: number): Message[] {
    return rows.map((r, i) =>
      decodeMessage(r, this.where.queue, this.where.partition, i === 0 ? attempts : 0),
    );
  }

  private async runLeased(signal: AbortSignal) {
    const { sql, conn, owner } = this.rt;
    const ex = conn.executor;
    const { leaseMs, batchSize } = this.settings;
    const token = newToken();
    const claim = await ex.query(sql.claimLease, [owner, token, leaseMs, this.partitionId, this.token ?? '']);
    const cursor = (await ex.query(sql.readCursor, [this.partitionId])).rows[0];
    if (claim.rowCount === 0) {
      // Another process holds it, or its head message waits for a retry: look again when that ends.
      this.token = null;
      const wait = Math.max(num(cursor?.retry_left), num(cursor?.lease_left));
      return wait > 0 ? Directive.sleep<ProcessorReport>(wait + 5) : Directive.proceed<ProcessorReport>();
    }
    this.token = token;
    const acked = num(cursor.acked_seq);
    const rows = (await ex.query(sql.selectMessages, [this.partitionId, acked, batchSize])).rows;
    if (rows.length === 0) {
      await this.releaseLease();
      return Directive.idle<ProcessorReport>({ delivered: 0 });
    }
    const messages = this.messages(rows, num(cursor.attempts));
    const keeper = new LeaseKeeper(this.rt, this.partitionId, this.where, token, leaseMs, signal);
    const ctx: LeasedContext = { ...this.where, signal: keeper.signal, heartbeat: () => keeper.beat() };
    let decision: Decision;
    try {
      decision = await decide(this.delivery, messages, ctx, keeper.signal);
    } finally {
      this.token = await keeper.stop();
    }
    if (this.token === null) throw new LeaseLost(this.where.queue, this.where.partition);
    const held = this.token;
    const applied = await this.apply(decision, messages, acked, num(cursor.attempts), ex, held);
    this.count(applied);
    if (applied.directive.kind !== 'proceed') this.token = null; // released or given up for a retry
    return applied.directive;
  }

  private async runLocked(signal: AbortSignal) {
    const { sql, conn } = this.rt;
    const applied = await conn.transaction(async (tx, client): Promise<Applied | null> => {
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
      const messages = this.messages(rows, num(cursor.attempts));
      const ctx: TransactionalContext = { ...this.where, tx, client, signal };
      const decision = await decide(this.delivery, messages, ctx, signal, tx);
      return this.apply(decision, messages, acked, num(cursor.attempts), tx, null);
    });
    if (!applied) return Directive.idle<ProcessorReport>({ delivered: 0 });
    this.count(applied);
    return applied.directive;
  }

  /**
   * Writes a decision: acknowledge the done prefix; then retry the next message later, or
   * dead-letter it (rejected, or out of attempts) and go on. `token` guards leased writes.
   */
  private async apply(
    d: Decision,
    messages: Message[],
    acked: number,
    headAttempts: number,
    ex: SqlExecutor,
    token: string | null,
  ): Promise<Applied> {
    const { sql, conn } = this.rt;
    const { batchSize, maxAttempts, leaseMs } = this.settings;
    const ackTo = d.acked > 0 ? messages[d.acked - 1].seq : acked;
    const guard = async (changed: number) => {
      if (token !== null && changed === 0) throw new LeaseLost(this.where.queue, this.where.partition);
    };
    const ack = async (tx: SqlExecutor, seq: number) => {
      if (token === null) await tx.query(sql.ackLocked, [seq, this.partitionId]);
      else {
        const next = newToken();
        await guard((await tx.query(sql.ackLeased, [seq, next, leaseMs, this.partitionId, token])).rowCount);
        this.token = next;
        token = next;
      }
    };
    if (!d.next) {
      if (d.acked > 0) await ack(ex, ackTo);
      const more = d.acked < messages.length || messages.length === batchSize;
      if (!more && token !== null) await this.releaseLease();
      const directive = more
        ? Directive.proceed({ delivered: d.acked })
        : Directive.idle({ delivered: d.acked });
      return { directive, delivered: d.acked, retried: false, rejected: false };
    }
    const failing = messages[d.acked];
    const tries = (d.acked === 0 ? headAttempts : 0) + 1;
    if (d.next.kind === 'reject' || tries >= maxAttempts) {
      const reason =
        d.next.kind === 'reject'
          ? d.next.reason
          : `gave up after ${tries} attempts: ${d.next.reason ?? 'retry'}`;
      const deadLetter = [tries, reason, this.partitionId, failing.seq];
      if (token === null) {
        await ack(ex, failing.seq);
        await ex.query(sql.deadLetter, deadLetter);
      } else {
        // Leased: the guarded acknowledgement and the dead letter commit together, or neither does.
        const next = newToken();
        const held = token;
        const partitionId = this.partitionId;
        await conn
          .transactionPlan(function* (): Plan<void> {
            const r = yield { sql: sql.ackLeased, params: [failing.seq, next, leaseMs, partitionId, held] };
            if (r.rowCount === 0) throw new LeaseLostSignal();
            yield { sql: sql.deadLetter, params: deadLetter };
          })
          .catch((e) => {
            throw e instanceof LeaseLostSignal ? new LeaseLost(this.where.queue, this.where.partition) : e;
          });
        this.token = next;
      }
      return {
        directive: Directive.proceed({ delivered: d.acked }),
        delivered: d.acked,
        retried: false,
        rejected: true,
      };
    }
    const delay = d.next.delayMs ?? this.retryDelay(tries);
    const params = [ackTo, tries, delay, d.next.reason ?? null, this.partitionId];
    if (token === null) await ex.query(sql.scheduleRetry(false), params);
    else await guard((await ex.query(sql.scheduleRetry(true), [...params, token])).rowCount);
    return {
      directive: Directive.sleep(delay + 5, { delivered: d.acked }),
      delivered: d.acked,
      retried: true,
      rejected: false,
    };
  }

  private retryDelay(tries: number): number {
    const { retryInitialMs, retryMaxMs, retryMultiplier } = this.settings;
    return Math.min(retryMaxMs, retryInitialMs * retryMultiplier ** (tries - 1));
  }

  private count(a: Applied): void {
    const c = this.rt.counters.of(this.where.queue);
    c.acknowledged(a.delivered);
    if (a.retried) c.retries++;
    if (a.rejected) c.rejected++;
  }
}
