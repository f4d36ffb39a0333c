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
  constructor(private readonly rt: Runtime) {}

  async execute() {
    const { conn, sql, hints, processors } = this.rt;
    const toSequence = (await conn.executor.query(sql.partitionsWithIncoming)).rows.map((r) => Number(r.id));
    if (toSequence.length > 0) hints.add(toSequence);
    let toDeliver = 0;
    for (const r of (await conn.executor.query(sql.partitionsWithUndelivered)).rows) {
      const notifier = processors.get(Number(r.partition_id));
      if (notifier) {
        notifier.wake();
        toDeliver++;
      }
    }
    return Directive.idle({ partitionsToSequence: toSequence.length, partitionsToDeliver: toDeliver });
  }
}
