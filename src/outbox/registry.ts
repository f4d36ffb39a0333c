import { QueueConflict, UnknownQueue } from '../errors.js';
import type { QueryResult, SqlExecutor, SyncSqlExecutor } from '../sql/index.js';
import type { Statements } from './dialects/statements.js';
import { checkPartitionCount, checkQueueName } from './names.js';

/** A registered queue: its partitions and their database ids (index = partition number). */
export interface QueueInfo {
  readonly name: string;
  readonly partitions: number;
  readonly ids: readonly number[];
}

/** Where a partition id belongs. */
export interface PartitionRef {
  readonly queue: string;
  readonly partition: number;
}

/**
 * Queues known to this process. Registration writes the queue's rows; lookups read them once and
 * cache them, so an enqueue for a queue another process registered works too.
 */
export class QueueRegistry {
  private readonly queues = new Map<string, QueueInfo>();
  private readonly partitions = new Map<number, PartitionRef>();

  constructor(private readonly sql: Statements) {}

  /** Creates the queue's rows if missing; a different stored partition count is a {@link QueueConflict}. */
  async register(ex: SqlExecutor, queue: string, partitions: number): Promise<QueueInfo> {
    checkQueueName(queue);
    checkPartitionCount(partitions, queue);
    await ex.query(this.sql.insertQueue, [queue, partitions]);
    const stored = Number((await ex.query(this.sql.selectQueue, [queue])).rows[0]?.partitions);
    if (stored !== partitions) throw new QueueConflict(queue, stored, partitions);
    const parts = Array.from({ length: partitions }, (_, i) => i);
    for (const chunk of chunks(parts, 500))
      await ex.query(
        this.sql.insertPartitions(chunk.length),
        chunk.flatMap((p) => [queue, p]),
      );
    const info = this.remember(queue, partitions, await ex.query(this.sql.selectPartitions, [queue]));
    for (const chunk of chunks([...info.ids], 500)) {
      await ex.query(this.sql.insertProcessors(chunk.length), chunk);
      await ex.query(this.sql.insertVacuum(chunk.length), chunk);
    }
    return info;
  }

  /** The queue, from the cache or the database; {@link UnknownQueue} when nobody registered it. */
  async resolve(ex: SqlExecutor, queue: string): Promise<QueueInfo> {
    const known = this.queues.get(queue);
    if (known) return known;
    checkQueueName(queue);
    const q = await ex.query(this.sql.selectQueue, [queue]);
    if (q.rows.length === 0) throw new UnknownQueue(queue);
    return this.remember(
      queue,
      Number(q.rows[0].partitions),
      await ex.query(this.sql.selectPartitions, [queue]),
    );
  }

  /** {@link resolve} for synchronous executors. */
  resolveSync(ex: SyncSqlExecutor, queue: string): QueueInfo {
    const known = this.queues.get(queue);
    if (known) return known;
    checkQueueName(queue);
    const q = ex.querySync(this.sql.selectQueue, [queue]);
    if (q.rows.length === 0) throw new UnknownQueue(queue);
    return this.remember(
      queue,
      Number(q.rows[0].partitions),
      ex.querySync(this.sql.selectPartitions, [queue]),
    );
  }

  /** Which queue and partition a partition id is, if this process has seen it. */
  partition(id: number): PartitionRef | undefined {
    return this.partitions.get(id);
  }

  private remember(queue: string, partitions: number, rows: QueryResult): QueueInfo {
    const ids = new Array<number>(partitions);
    for (const r of rows.rows) ids[Number(r.part)] = Number(r.id);
    // Another process may be registering it right now; until every partition exists it is unknown.
    if (rows.rows.length !== partitions)
      throw new UnknownQueue(
        queue,
        `is registered with ${partitions} partitions but ${rows.rows.length} partition rows exist ` +
          '(another process is registering it right now, or the rows were changed by hand)',
      );
    const info: QueueInfo = { name: queue, partitions, ids };
    this.queues.set(queue, info);
    for (let p = 0; p < partitions; p++) this.partitions.set(ids[p], { queue, partition: p });
    return info;
  }
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
