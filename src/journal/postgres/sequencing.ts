/**
 * This process's part in sequencing: it runs rounds (one at a time; other processes' rounds take
 * turns with them at the head row) for its own appends as soon as they commit, answers each append
 * from the round that sequenced it, and looks now and then for events left pending by others (appends
 * made in callers' transactions, or by a process that died after its commit).
 */
import type pg from 'pg';
import type { Logger } from '../../logger.js';
import type { SqlExecutor } from '../../sql/index.js';
import type { EventRecord } from '../codec.js';
import type { JournalReads } from './reads.js';
import { type Lead, type Leader, leadSequencing } from './sequencer.js';
import type { JournalStatements } from './statements.js';

interface Waiter {
  resolve(record: EventRecord): void;
  reject(err: unknown): void;
}

/** How long to wait before looking again for events another process is sequencing. */
const ELSEWHERE_RETRY_MS = 5;
/** How long the lead is kept, once nothing is pending, for appends this process has in flight. */
const LINGER_MS = 2;
/** Attempts at sequencing before appends waiting for it are failed (their events stay committed). */
const ATTEMPTS = 4;

export class Sequencing {
  /** Appends of this process that committed and wait for their positions, by event row key. */
  private readonly waiting = new Map<string, Waiter>();
  private driving: Promise<void> | null = null;
  private leading: Promise<unknown> = Promise.resolve();
  /** A catch-up in flight: callers arriving meanwhile share it (and look again after it). */
  private nextCatchUp: Promise<void> | null = null;
  private readonly poll: NodeJS.Timeout;
  private looking: Promise<void> | null = null;
  private closed = false;
  /** Wakes this process's leader while it lingers for more appends. */
  private wakeLeader: ((more: boolean) => void) | null = null;
  private readonly leader: Leader = {
    committed: (records) => this.settle(records),
    more: () => {
      // Waiters now were sequenced elsewhere: the lead is given up and they are read back.
      if (this.waiting.size > 0 || this.closed) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => wake(false), LINGER_MS);
        const wake = (more: boolean) => {
          clearTimeout(timer);
          this.wakeLeader = null;
          resolve(more);
        };
        this.wakeLeader = wake;
      });
    },
  };

  constructor(
    private readonly pool: pg.Pool,
    private readonly ex: SqlExecutor,
    private readonly st: JournalStatements,
    private readonly reads: JournalReads,
    private readonly logger: Logger,
    pollIntervalMs: number,
  ) {
    this.poll = setInterval(() => {
      this.looking ??= this.lookForLeftovers().finally(() => {
        this.looking = null;
      });
    }, pollIntervalMs);
    this.poll.unref();
  }

  /** The records of committed events (by row key) once they have positions, in the order given. */
  awaitSequenced(pks: readonly string[]): Promise<EventRecord[]> {
    const sequenced = Promise.all(
      pks.map(
        (pk) => new Promise<EventRecord>((resolve, reject) => this.waiting.set(pk, { resolve, reject })),
      ),
    );
    this.wakeLeader?.(true);
    this.drive();
    return sequenced;
  }

  /**
   * Sequences what is pending when no other process leads: every event committed before the call
   * then has a position. Otherwise it waits a moment for the leader, and the caller looks again.
   */
  catchUp(): Promise<void> {
    this.nextCatchUp ??= this.lead()
      .then(async ({ led }) => {
        if (!led) await sleep(ELSEWHERE_RETRY_MS);
      })
      .finally(() => {
        this.nextCatchUp = null;
      });
    return this.nextCatchUp;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeLeader?.(false);
    clearInterval(this.poll);
    await this.looking;
    await this.driving;
    await this.leading;
  }

  /** Leads sequencing after this process's previous turn; every waiter it sequences is answered. */
  private lead(): Promise<Lead> {
    const turn = this.leading.then(() => leadSequencing(this.pool, this.st, this.leader));
    this.leading = turn.catch(() => {});
    return turn;
  }

  private settle(records: ReadonlyMap<string, EventRecord>): void {
    for (const [pk, record] of records) {
      const waiter = this.waiting.get(pk);
      if (waiter === undefined) continue;
      this.waiting.delete(pk);
      waiter.resolve(record);
    }
  }

  /** Sequences while appends wait; what another process sequenced is read back. */
  private drive(): void {
    if (this.driving) return;
    this.driving = (async () => {
      for (let failures = 0; this.waiting.size > 0; ) {
        try {
          const { led } = await this.lead();
          if (this.waiting.size > 0) this.settle(await this.reads.recordsByPk([...this.waiting.keys()]));
          if (this.waiting.size > 0 && !led) await sleep(ELSEWHERE_RETRY_MS);
          failures = 0;
        } catch (err) {
          if (++failures < ATTEMPTS) {
            this.logger.warn({ err }, 'journal sequencing failed; it is tried again');
            await sleep(50 * failures);
            continue;
          }
          // The appends committed: a later round (here or elsewhere) gives them their positions.
          for (const waiter of this.waiting.values()) waiter.reject(err);
          this.waiting.clear();
        }
      }
      this.driving = null;
    })();
  }

  private async lookForLeftovers(): Promise<void> {
    if (this.closed || this.nextCatchUp || this.driving) return;
    try {
      if ((await this.ex.query(this.st.anyPending)).rows[0].pending) await this.catchUp();
    } catch (err) {
      this.logger.warn({ err }, 'journal sequencing failed; it is tried again');
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
