import { randomBytes } from 'node:crypto';
import { LeaseLost } from '../../errors.js';
import type { Runtime } from '../runtime.js';

// Tokens need only be unique: this process's random prefix and a counter.
const TOKEN_PREFIX = randomBytes(9).toString('base64url');
let tokens = 0;
export const newToken = (): string => `${TOKEN_PREFIX}${(++tokens).toString(36)}`;

/** A lease a processor holds, with the cursor it owns while holding it. */
export interface Lease {
  /** Changes with every write to the lease, so a write after losing it matches nothing. */
  token: string;
  /** Local time when the lease runs out unless renewed (measured from before the renewing write). */
  expiresAt: number;
  acked: number;
  attempts: number;
  /**
   * The partition's start record as this holder last wrote it (undefined until it has): only the
   * holder writes it, so it is read once per claim.
   */
  start?: StartRecord;
}

/** The last delivery that began in a partition (see the processor's `beginDelivery`). */
export interface StartRecord {
  readonly seq: number;
  readonly started: number;
  readonly until: number;
}

/** Records a successful claim, renewal or acknowledgement that began at `startedAt`. */
export function renewed(lease: Lease, token: string, startedAt: number, leaseMs: number): void {
  lease.token = token;
  lease.expiresAt = startedAt + leaseMs;
}

/** Records an acknowledgement up to `seq` that renewed the lease (see {@link renewed}). */
export function acknowledged(
  lease: Lease,
  token: string,
  startedAt: number,
  leaseMs: number,
  seq: number,
): void {
  renewed(lease, token, startedAt, leaseMs);
  lease.acked = seq;
  lease.attempts = 0;
}

/**
 * Keeps a lease alive while a leased handler runs: heartbeats every third of the lease, and an
 * abort shortly before the lease would run out unrenewed (or at once when another holder took it).
 */
export class LeaseKeeper {
  private readonly controller = new AbortController();
  readonly signal: AbortSignal;
  private readonly beatTimer: NodeJS.Timeout;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();
  /** Set when the lease was taken or ran out; the lease must not be written again. */
  lost = false;

  constructor(
    private readonly rt: Runtime,
    private readonly partitionId: number,
    private readonly where: { queue: string; partition: number },
    private readonly lease: Lease,
    private readonly leaseMs: number,
    outer: AbortSignal,
  ) {
    this.signal = AbortSignal.any([outer, this.controller.signal]);
    this.beatTimer = setInterval(() => void this.beat().catch(() => {}), Math.max(10, leaseMs / 3));
    this.armDeadline();
  }

  /** Extends the lease now; rejects with {@link LeaseLost} when another holder has it. */
  beat(): Promise<void> {
    // One failed heartbeat (a dropped connection) must not stop the ones after it.
    this.beating = this.beating
      .catch(() => {})
      .then(async () => {
        if (this.lost) throw new LeaseLost(this.where.queue, this.where.partition);
        const next = newToken();
        const startedAt = Date.now();
        let changed: number;
        try {
          changed = (
            await this.rt.conn.executor.query(this.rt.sql.heartbeat, [
              next,
              this.leaseMs,
              this.partitionId,
              this.lease.token,
            ])
          ).rowCount;
        } catch (e) {
          this.rt.logger.warn({ err: e, ...this.where }, 'outbox lease heartbeat failed');
          throw e;
        }
        if (changed === 0) {
          this.lose();
          throw new LeaseLost(this.where.queue, this.where.partition);
        }
        renewed(this.lease, next, startedAt, this.leaseMs);
        this.armDeadline();
      });
    return this.beating;
  }

  /** Stops heartbeats (waiting for one in flight). */
  async stop(): Promise<void> {
    clearInterval(this.beatTimer);
    clearTimeout(this.deadlineTimer);
    await this.beating.catch(() => {});
  }

  private lose(): void {
    this.lost = true;
    this.controller.abort(new LeaseLost(this.where.queue, this.where.partition));
  }

  /** Aborts the handler a margin before the lease would expire without another heartbeat. */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    const margin = Math.min(1000, this.leaseMs / 5);
    this.deadlineTimer = setTimeout(
      () => this.lose(),
      Math.max(0, this.lease.expiresAt - margin - Date.now()),
    );
  }
}
