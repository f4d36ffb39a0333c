import { Directive, type WorkerAction } from '../../worker/index.js';
import type { Runtime } from '../runtime.js';

export interface ReconcilerReport {
  readonly partitionsToSequence: number;
  readonly partitionsToDeliver: number;
}

/**
 * The safety net: finds unsequenced messages and undelivered ones wherever they came from (another
 * process, a lost wake-up, a crashed holder whose lease ran out) and wakes the workers for them.
 */
export class Reconciler implements WorkerAction<ReconcilerReport> {
  /** Partitions already reported as having a cursor past their messages. */
  private readonly reportedAhead = new Set<number>();

  constructor(private readonly rt: Runtime) {}

  async execute() {
    const { conn, sql, hints, processors } = this.rt;
    for (const r of (await conn.executor.query(sql.partitionsAhead)).rows) {
      const id = Number(r.partition_id);
      if (this.reportedAhead.has(id)) continue;
      this.reportedAhead.add(id);
      this.rt.logger.error(
        {
          ...this.rt.registry.partition(id),
          partitionId: id,
          ackedSeq: Number(r.acked_seq),
          lastSeq: Number(r.last_seq),
        },
        'outbox partition cursor is past the last message (changed by hand, or a database restored from a backup); ' +
          'messages enqueued there are skipped until the sequence catches up',
      );
    }
    const toSequence = (await conn.executor.query(sql.partitionsWithIncoming)).rows.map((r) => Number(r.id));
    if (toSequence.length > 0) hints.add(toSequence);
    let toDeliver = 0;
    for (const r of (await conn.executor.query(sql.partitionsWithUndelivered)).rows) {
      const processor = processors.get(Number(r.partition_id));
      if (processor) {
        processor.wake();
        toDeliver++;
      }
    }
    return Directive.idle({ partitionsToSequence: toSequence.length, partitionsToDeliver: toDeliver });
  }
}
