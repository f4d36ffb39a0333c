import { InvalidArgument } from '../errors.js';
import type { OutboxConnection } from './dialects/dialect.js';
import type { Statements } from './dialects/statements.js';
import { type EnqueueSettings, enqueueAsync } from './enqueue.js';
import { decodeDeadLetter, type EncodedMessage } from './message.js';
import { checkQueueName } from './names.js';
import { partitionForKey } from './partitioning.js';
import type { QueueRegistry } from './registry.js';
import type { DeadLetter, DeadLetterFilter } from './types.js';

/** Rows one redrive or list call handles at most, unless told otherwise. */
const DEFAULT_LIMIT = 1000;

/**
 * Messages that were rejected or ran out of attempts. They can be listed, counted, inspected,
 * sent back into the outbox (to their queue or another), discarded or purged, with filters.
 */
export class DeadLetters {
  constructor(
    private readonly conn: OutboxConnection,
    private readonly sql: Statements,
    private readonly registry: QueueRegistry,
    private readonly enqueue: EnqueueSettings,
    private readonly onEnqueued: (partitionIds: number[]) => void,
  ) {}

  /** Dead letters matching `filter`, oldest first. */
  async list(filter: DeadLetterFilter & { limit?: number } = {}): Promise<DeadLetter[]> {
    const w = this.where(filter);
    const rows = await this.conn.executor.query(this.sql.selectDeadLetters(w.sql, false), [
      ...w.params,
      limitOf(filter.limit),
    ]);
    return rows.rows.map(decodeDeadLetter);
  }

  /** One dead letter by its id. */
  async get(deadLetterId: number): Promise<DeadLetter | undefined> {
    return (await this.list({ ids: [deadLetterId], limit: 1 }))[0];
  }

  /** How many match `filter`, per queue. */
  async count(filter: DeadLetterFilter = {}): Promise<Record<string, number>> {
    const w = this.where(filter);
    const out: Record<string, number> = {};
    for (const r of (await this.conn.executor.query(this.sql.countDeadLetters(w.sql), w.params)).rows)
      out[String(r.queue)] = Number(r.n);
    return out;
  }

  /**
   * Sends matching dead letters back into the outbox, keeping their ids, keys, payloads and headers,
   * and removes them, in one transaction. `toQueue` sends them to another queue. Returns how many.
   */
  async redrive(filter: DeadLetterFilter & { toQueue?: string; limit?: number } = {}): Promise<number> {
    if (filter.toQueue !== undefined) checkQueueName(filter.toQueue);
    const w = this.where(filter);
    const touched: number[] = [];
    const moved = await this.conn.transaction(async (tx) => {
      const rows = (
        await tx.query(this.sql.selectDeadLetters(w.sql, true), [...w.params, limitOf(filter.limit)])
      ).rows.map((r) => ({ ...decodeDeadLetter(r), raw: r }));
      const byQueue = new Map<string, typeof rows>();
      for (const r of rows) {
        const q = filter.toQueue ?? r.queue;
        byQueue.set(q, [...(byQueue.get(q) ?? []), r]);
      }
      for (const [queue, letters] of byQueue) {
        const info = await this.registry.resolve(tx, queue);
        const encoded: EncodedMessage[] = letters.map((l) => ({
          id: l.id,
          partition: l.key !== null ? partitionForKey(l.key, info.partitions) : l.partition % info.partitions,
          key: l.key,
          payload: Buffer.from(l.raw.payload as Uint8Array),
          kind: Number(l.raw.payload_kind),
          type: l.type,
          headers: l.raw.headers == null ? null : String(l.raw.headers),
          dedupeKey: null,
        }));
        await enqueueAsync(this.enqueue, tx, info, encoded);
        for (const m of encoded) touched.push(info.ids[m.partition]);
      }
      if (rows.length > 0)
        await tx.query(
          this.sql.deleteDeadLetters(` WHERE id IN (${rows.map(() => '?').join(', ')})`),
          rows.map((r) => r.deadLetterId),
        );
      return rows.length;
    });
    if (touched.length > 0) this.onEnqueued(touched);
    return moved;
  }

  /** Deletes the dead letters with these ids. Returns how many. */
  async discard(deadLetterIds: readonly number[]): Promise<number> {
    if (deadLetterIds.length === 0) return 0;
    return this.purge({ ids: deadLetterIds });
  }

  /** Deletes every dead letter matching `filter` (all of them when it is empty). Returns how many. */
  async purge(filter: DeadLetterFilter = {}): Promise<number> {
    const w = this.where(filter);
    return (await this.conn.executor.query(this.sql.deleteDeadLetters(w.sql), w.params)).rowCount;
  }

  private where(f: DeadLetterFilter): { sql: string; params: unknown[] } {
    const conds: string[] = [];
    const params: unknown[] = [];
    if (f.queue !== undefined) {
      conds.push('queue = ?');
      params.push(checkQueueName(f.queue));
    }
    if (f.partition !== undefined) {
      if (!Number.isInteger(f.partition) || f.partition < 0)
        throw new InvalidArgument('partition must be a whole number', { partition: f.partition });
      conds.push('part = ?');
      params.push(f.partition);
    }
    if (f.type !== undefined) {
      if (typeof f.type !== 'string') throw new InvalidArgument('type must be a string');
      conds.push('payload_type = ?');
      params.push(f.type);
    }
    if (f.olderThanMs !== undefined) {
      if (!(f.olderThanMs >= 0))
        throw new InvalidArgument('olderThanMs must be >= 0', { olderThanMs: f.olderThanMs });
      conds.push(`${this.sql.deadLetterAgeColumn} >= ?`);
      params.push(Math.floor(f.olderThanMs));
    }
    if (f.ids !== undefined) {
      if (!Array.isArray(f.ids) || f.ids.length === 0 || !f.ids.every(Number.isInteger))
        throw new InvalidArgument('ids must be a non-empty list of dead-letter ids');
      conds.push(`id IN (${f.ids.map(() => '?').join(', ')})`);
      params.push(...f.ids);
    }
    return { sql: conds.length === 0 ? '' : ` WHERE ${conds.join(' AND ')}`, params };
  }
}

function limitOf(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1)
    throw new InvalidArgument('limit must be a positive whole number', { limit });
  return limit;
}
