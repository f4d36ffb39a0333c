import type { Plan } from '../../sql/index.js';
import { Directive, type WorkerAction } from '../../worker/index.js';
import { processPayload } from '../enqueue.js';
import type { Runtime } from '../runtime.js';

/** Transactions one run spends on one partition before giving others a turn. */
const MAX_INNER_ITERATIONS = 8;

export interface SequencerReport {
  readonly sequenced: number;
}

type Pass = { readonly busy: boolean; readonly moved: number };

/**
 * Gives messages their per-partition sequence numbers. A partition's row is locked while its next
 * batch is numbered, so sequencers in any number of processes never produce a duplicate or a gap;
 * rows are taken in insertion order among those committed, which is commit order.
 */
export class Sequencer implements WorkerAction<SequencerReport> {
  constructor(private readonly rt: Runtime) {}

  async execute(signal: AbortSignal) {
    const { hints, tuning } = this.rt;
    let sequenced = 0;
    for (const id of hints.take(tuning.partitionBatchLimit)) {
      if (signal.aborted) {
        hints.sequenced(id, true);
        continue;
      }
      let pass: Pass = { busy: false, moved: 0 };
      let moved = 0;
      for (let i = 0; i < MAX_INNER_ITERATIONS; i++) {
        pass = await this.sequencePartition(id);
        moved += pass.moved;
        if (pass.moved < tuning.sequencerBatch) break;
      }
      sequenced += moved;
      if (moved > 0) {
        hints.sequenced(id, pass.moved === tuning.sequencerBatch);
        this.rt.processors.get(id)?.wake();
      } else hints.retry(id, pass.busy);
    }
    const report = { sequenced };
    if (hints.hasReady) return Directive.proceed(report);
    const wait = hints.nextRetryIn();
    return wait === null ? Directive.idle(report) : Directive.sleep(wait, report);
  }

  /** One transaction: lock the partition, number the oldest unsequenced messages, move them. */
  private sequencePartition(id: number): Promise<Pass> {
    const { sql, tuning, notifyChannel } = this.rt;
    return this.rt.conn.transactionPlan(function* (): Plan<Pass> {
      const lock = yield { sql: sql.lockPartition, params: [id] };
      if (lock.rows.length === 0) return { busy: true, moved: 0 };
      const next = Number(lock.rows[0].next_seq);
      const picked = (yield { sql: sql.pickIncoming, params: [id, tuning.sequencerBatch] }).rows.map(
        (r) => r.id,
      );
      if (picked.length === 0) return { busy: false, moved: 0 };
      yield { sql: sql.moveToOutgoing(picked.length), params: [next, ...picked] };
      yield { sql: sql.deleteIncoming(picked.length), params: picked };
      yield { sql: sql.setNextSeq, params: [next + picked.length, id] };
      if (notifyChannel) yield { sql: sql.notify, params: [notifyChannel, processPayload([id])] };
      return { busy: false, moved: picked.length };
    });
  }
}
