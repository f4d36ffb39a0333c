/**
 * This process's part in sequencing: it leads (when no other process does) for its own appends as
 * soon as they commit, answers each append from the round that sequenced it, and hears, over LISTEN,
 * of appends committed elsewhere (in callers' transactions) and of every round of every process.
 * A poll stands in for what LISTEN missed: events left by a process that died after its commit, or
 * announced while the listening session was away.
 */
import type pg from 'pg';
import type { Logger } from '../../logger.js';
import { pgListening, ReconnectingListener, type SqlExecutor } from '../../sql/index.js';
import type { EventRecord } from '../codec.js';
import type { JournalReads } from './reads.js';
import { type Lead, type Leader, leadSequencing } from './sequencer.js';
import type { JournalStatements } from './statements.js';

interface Waiter {
  resolve(record: EventRecord): void;
  reject(err: unknown): void;
}

/** How long to wait for another process's round before looking again anyway. */
const ELSEWHERE_WAIT_MS = 50;
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
  private readonly listener: ReconnectingListener;
  /** Callers waiting for the next round announced (by any process). */
  private roundWatchers: (() => void)[] = [];
  private closed = false;
  /** Wakes this process's leader while it lingers for more appends. */
  private wakeLeader: ((more: boolean) => void) | null = null;
  private readonly leader: Leader = {
    committed: (records) => {
      this.settle(records);
      this.announced();
    },
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
    const { schema } = st.tables;
    this.listener = new ReconnectingListener(
      pgListening(pool, [`${schema}_pending`, `${schema}_sequenced`]),
      {
        message: (_payload, channel) => {
          if (channel === `${schema}_sequenced`) this.announced();
          else if (!this.driving) void this.catchUp().catch(() => {}); // the poll tries again
        },
        resumed: () => {
          this.announced();
          void this.catchUp().catch(() => {});
        },
        logger,
        label: 'journal',
      },
    );
  }

  /** Starts listening; the journal works without (by polling) until the session is up. */
  listen(): Promise<void> {
    return this.listener.start();
  }

  /** Resolves when any process announces a round, or after `ms` at the latest. */
  nextRound(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.roundWatchers.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private announced(): void {
    const watchers = this.roundWatchers;
    this.roundWatchers = [];
    for (const wake of watchers) wake();
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
        if (!led) await this.nextRound(ELSEWHERE_WAIT_MS);
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
    await this.listener.stop();
    this.announced();
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
          if (this.waiting.size > 0 && !led) await this.nextRound(ELSEWHERE_WAIT_MS);
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
