import type { Plan } from '../../sql/index.js';
import { Directive, type WorkerAction } from '../../worker/index.js';
import type { LocalProcessor, Runtime } from '../runtime.js';

export interface SequencerReport {
  readonly sequenced: number;
}

type Row = Record<string, unknown>;
type Pass = { busy: boolean; moved: number; readonly handed: Row[] };

/** A processor here that waits for the messages the sequencer reads as it numbers them. */
interface Waiting {
  readonly processor: LocalProcessor;
  readonly acked: number;
  readonly limit: number;
}

/**
 * Gives messages their per-partition sequence numbers. A partition's row is locked while its next
 * batch is numbered, so sequencers in any number of processes never produce a duplicate or a gap;
 * rows are taken in insertion order among those committed, which is commit order. One transaction
 * covers every partition of a run, so a busy outbox pays one commit for many partitions. Where the
 * dialect can, the same statement reads the first messages for this process's idle leased
 * processors, which then begin their delivery without a read of their own.
 */
export class Sequencer implements WorkerAction<SequencerReport> {
  constructor(private readonly rt: Runtime) {}

  async execute() {
    const { hints, tuning, processors } = this.rt;
    const ids = hints.take(tuning.partitionBatchLimit).sort((a, b) => a - b);
    let sequenced = 0;
    if (ids.length > 0) {
      const waiting = this.reserve(ids);
      const passes = await this.sequence(ids, waiting).catch((e) => {
        for (const w of waiting.values()) w.processor.handOver([]);
        hints.add(ids); // nothing was committed: look again after the backoff
        throw e;
      });
      for (const [id, w] of waiting) w.processor.handOver(passes.get(id)?.handed ?? []);
      for (const [id, pass] of passes) {
        sequenced += pass.moved;
        if (pass.moved > 0) hints.sequenced(id, pass.moved === tuning.sequencerBatch);
        else hints.retry(id, pass.busy);
        if (pass.moved > 0 && !waiting.has(id)) processors.get(id)?.wake();
      }
    }
    const report = { sequenced };
    if (hints.hasReady) return Directive.proceed(report);
    const wait = hints.nextRetryIn();
    return wait === null ? Directive.idle(report) : Directive.sleep(wait, report);
  }

  /**
   * This process's processors of `ids` that wait for messages, where the dialect reads them here;
   * each takes a processor slot as it reserves, since a message handed over counts as begun.
   */
  private reserve(ids: number[]): Map<number, Waiting> {
    const waiting = new Map<number, Waiting>();
    if (!this.rt.sql.sequencePartitions) return waiting;
    for (const id of ids) {
      const processor = this.rt.processors.get(id);
      const next = processor?.reserve();
      if (processor && next) waiting.set(id, { processor, ...next });
    }
    return waiting;
  }

  /** One transaction: per partition, lock it, number its oldest unsequenced messages, move them. */
  private async sequence(ids: number[], waiting: Map<number, Waiting>): Promise<Map<number, Pass>> {
    const { sql, tuning, notifyChannel, owner } = this.rt;
    const batch = tuning.sequencerBatch;
    if (sql.sequencePartitions) {
      const w = [...waiting.entries()];
      const rows = (
        await this.rt.conn.executor.query(sql.sequencePartitions, [
          ids,
          batch,
          w.map(([id]) => id),
          w.map(([, x]) => x.acked),
          w.map(([, x]) => x.limit),
          notifyChannel,
          owner,
        ])
      ).rows;
      // Busy unless locked; rows that vanished under a concurrent sequencer also mean "look again".
      const passes = new Map<number, Pass>(ids.map((id) => [id, { busy: true, moved: 0, handed: [] }]));
      for (const r of rows) {
        const pass = passes.get(Number(r.id))!;
        pass.busy = Number(r.picked) > Number(r.moved);
        pass.moved = Number(r.moved);
        if (r.seq != null) pass.handed.push(r);
      }
      for (const pass of passes.values()) pass.handed.sort((a, b) => Number(a.seq) - Number(b.seq));
      return passes;
    }
    return this.rt.conn.transactionPlan(function* (): Plan<Map<number, Pass>> {
      const passes = new Map<number, Pass>();
      for (const id of ids) {
        const lock = yield { sql: sql.lockPartition, params: [id] };
        if (lock.rows.length === 0) {
          passes.set(id, { busy: true, moved: 0, handed: [] });
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
        passes.set(id, { busy: false, moved, handed: [] });
      }
      return passes;
    });
  }
}
