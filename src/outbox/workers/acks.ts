import type { SqlExecutor } from '../../sql/index.js';

/** A leased acknowledgement: the partition's cursor moves to `seq` and its lease to `nextToken`. */
export interface LeasedAck {
  readonly partitionId: number;
  readonly seq: number;
  readonly token: string;
  readonly nextToken: string;
  readonly leaseMs: number;
}

interface Pending extends LeasedAck {
  resolve(held: boolean): void;
  reject(e: unknown): void;
}

/**
 * Writes leased acknowledgements of many partitions in one statement: those asked for in the same
 * turn of the event loop, or while the statement before them ran, go together. Each resolves with
 * whether its lease still held (the update matched its token).
 */
export class LeasedAcks {
  private pending: Pending[] = [];
  private writing = false;

  constructor(
    private readonly ex: SqlExecutor,
    /** Parameters: ids, sequences, tokens, next tokens, lease milliseconds; returns `partition_id`s. */
    private readonly statement: string,
  ) {}

  ack(a: LeasedAck): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ...a, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        setImmediate(() => void this.write());
      }
    });
  }

  private async write(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const { rows } = await this.ex.query(this.statement, [
          batch.map((a) => a.partitionId),
          batch.map((a) => a.seq),
          batch.map((a) => a.token),
          batch.map((a) => a.nextToken),
          batch.map((a) => a.leaseMs),
        ]);
        const held = new Set(rows.map((r) => Number(r.partition_id)));
        for (const a of batch) a.resolve(held.has(a.partitionId));
      } catch (e) {
        for (const a of batch) a.reject(e);
      }
    }
    this.writing = false;
  }
}
