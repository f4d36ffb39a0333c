import type { Plan } from '../../sql/index.js';
import { Directive, type WorkerAction } from '../../worker/index.js';
import type { Runtime } from '../runtime.js';

export interface SequencerReport {
  readonly sequenced: number;
}

type Pass = { readonly busy: boolean; readonly moved: number };

/**
 * Gives messages their per-partition sequence numbers. A partition's row is locked while its next
 * batch is numbered, so sequencers in any number of processes never produce a duplicate or a gap;
 * rows are taken in insertion order among those committed, which is commit order. One transaction
 * covers every partition of a run, so a busy outbox pays one commit for many partitions.
 */
export class Sequencer implements WorkerAction<SequencerReport> {
  constructor(private readonly rt: Runtime) {}

  async execute() {
    const { hints, tuning, processors } = this.rt;
    const ids = hints.take(tuning.partitionBatchLimit).sort((a, b) => a - b);
    let sequenced = 0;
    if (ids.length > 0) {
      const passes = await this.sequence(ids).catch((e) => {
        hints.add(ids); // nothing was committed: look again after the backoff
        throw e;
      });
      for (const [id, pass] of passes) {
        sequenced += pass.moved;
        if (pass.moved > 0) {
          hints.sequenced(id, pass.moved === tuning.sequencerBatch);
          processors.get(id)?.wake();
        } else hints.retry(id, pass.busy);
      }
    }
    const report = { sequenced };
    if (hints.hasReady) return Directive.proceed(report);
    const wait = hints.nextRetryIn();
    return wait === null ? Directive.idle(report) : Directive.sleep(wait, report);
  }

  /** One transaction: per partition, lock it, number its oldest unsequenced messages, move them. */
  private async sequence(ids: number[]): Promise<Map<number, Pass>> {
    const { sql, tuning, notifyChannel, owner } = this.rt;
    const batch = tuning.sequencerBatch;
    if (sql.sequencePartitions) {
      const rows = (
        await this.rt.conn.executor.query(sql.sequencePartitions, [ids, batch, notifyChannel, owner])
      ).rows;
      // Busy unless locked; rows that vanished under a concurrent sequencer also mean "look again".
      const passes = new Map<number, Pass>(ids.map((id) => [id, { busy: true, moved: 0 }]));
      for (const r of rows)
        passes.set(Number(r.id), { busy: Number(r.picked) > Number(r.moved), moved: Number(r.moved) });
      return passes;
    }
    return this.rt.conn.transactionPlan(function* (): Plan<Map<number, Pass>> {
      const passes = new Map<number, Pass>();
      for (const id of ids) {
        const lock = yield { sql: sql.lockPartition, params: [id] };
        if (lock.rows.length === 0) {
          passes.set(id, { busy: true, moved: 0 });
          continue;
        }
        const next = Number(lock.rows[0].next_seq);
        const picked = (yield { sql: sql.pickIncoming, params: [id, batch] }).rows.map((r) => r.id);
        if (picked.length > 0) {
          yield { sql: sql.moveToOutgoing(picked.length), params: [next, ...picked] };
          yield { sql: sql.deleteIncoming(picked.length), params: picked };
        }
        const moved = picked.length;
        if (moved > 0) yield { sql: sql.setNextSeq, params: [next + moved, id] };
        passes.set(id, { busy: false, moved });
      }
      return passes;
    });
  }
}
