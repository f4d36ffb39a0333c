import { Directive, type WorkerAction } from '../../worker/index.js';
import type { Runtime } from '../runtime.js';

/** Partitions one vacuum run looks at. */
const PARTITIONS_PER_RUN = 100;

export interface VacuumReport {
  readonly rowsDeleted: number;
}

/**
 * Deletes delivered messages (at or below each partition's acknowledged sequence) in bounded
 * chunks, and forgets dedupe keys past their retention. Processors only read above the
 * acknowledged sequence, so vacuum never blocks delivery.
 */
export class Vacuum implements WorkerAction<VacuumReport> {
  constructor(
    private readonly rt: Runtime,
    private readonly dedupeRetentionMs: number,
  ) {}

  async execute(signal: AbortSignal) {
    const { conn, sql, tuning } = this.rt;
    const ex = conn.executor;
    let rowsDeleted = 0;
    let more = false;
    const rows = (await ex.query(sql.vacuumable, [PARTITIONS_PER_RUN])).rows;
    for (const r of rows) {
      if (signal.aborted) break;
      const id = Number(r.partition_id);
      const from = Number(r.vacuumed_seq);
      const to = Math.min(Number(r.acked_seq), from + tuning.vacuumChunk);
      rowsDeleted += (await ex.query(sql.deleteDelivered, [id, from, to])).rowCount;
      await ex.query(sql.setVacuumed, [to, id, to]);
      if (to < Number(r.acked_seq)) more = true;
    }
    rowsDeleted += (await ex.query(sql.deleteExpiredDedupe, [this.dedupeRetentionMs])).rowCount;
    const report = { rowsDeleted };
    return more || rows.length === PARTITIONS_PER_RUN ? Directive.proceed(report) : Directive.idle(report);
  }
}
