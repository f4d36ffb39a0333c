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
/** How long the lead is kept, once nothing is pending, for the appends this process has in flight. */
const LINGER_MS = 2;
/** Attempts at sequencing before appends waiting for it are failed (their events stay committed). */
const ATTEMPTS = 4;

export class Sequencing {
  /** Appends of this process that committed and wait for their positions, by event row key. */
  private readonly waiting = new Map<string, Waiter>();
  private driving: Promise<void> | null = null;
  private leading: Promise<unknown> = Promise.resolve();
  /** A catch-up requested and not yet started: callers arriving meanwhile share it. */
  private queuedCatchUp: Promise<void> | null = null;
  private readonly poll: NodeJS.Timeout;
  private looking: Promise<void> | null = null;
  private readonly listener: ReconnectingListener;
  private roundsAnnounced = 0;
  private readonly roundListeners = new Set<() => void>();
  private closed = false;
  /** Wakes this process's leader while it lingers for more appends. */
  private wakeLeader: ((more: boolean) => void) | null = null;
  private answeredLastRound = false;
  private readonly leader: Leader = {
    committed: (records) => {
      this.answeredLastRound = this.settle(records);
      this.announced();
    },
    more: () => {
      // Waiters now were sequenced elsewhere: the lead is given up and they are read back. Appends
      // come soon while this process has some in flight, or has just answered some (their callers
      // tend to append again); otherwise nothing is coming.
      const coming = this.appending() || this.answeredLastRound;
      this.answeredLastRound = false;
      if (this.waiting.size > 0 || this.closed || !coming) return Promise.resolve(false);
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
    /** Whether this process has appends on their way to the database (their waiters come soon). */
    private readonly appending: () => boolean,
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
          else {
            this.wakeLeader?.(true); // a leader lingering here takes it at once
            void this.catchUp().catch(() => {}); // on failure, the poll tries again
          }
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

  /** Rounds announced so far (by any process): what {@link nextRound} counts from. */
  get rounds(): number {
    return this.roundsAnnounced;
  }

  /**
   * Resolves once a round after the `after`-th is announced (at once if one was), or after `ms`
   * at the latest. Take `after` from {@link rounds} before looking, so no announcement falls between.
   */
  nextRound(ms: number, after: number): Promise<void> {
    if (this.roundsAnnounced > after) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stop();
        resolve();
      };
      const timer = setTimeout(done, ms);
      const stop = this.onRound(done);
    });
  }

  /** Calls `listener` on every round announced (by any process); returns the way to stop. */
  onRound(listener: () => void): () => void {
    this.roundListeners.add(listener);
    return () => this.roundListeners.delete(listener);
  }

  private announced(): void {
    this.roundsAnnounced++;
    for (const listener of [...this.roundListeners]) listener();
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
    if (this.queuedCatchUp) return this.queuedCatchUp;
    const seen = this.roundsAnnounced;
    const queued = this.lead(() => {
      this.queuedCatchUp = null; // started: a later request needs a turn of its own
    }).then(async ({ led }) => {
      if (!led) await this.nextRound(ELSEWHERE_WAIT_MS, seen);
    });
    this.queuedCatchUp = queued;
    return queued;
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
  private lead(started?: () => void): Promise<Lead> {
    const turn = this.leading.then(() => {
      started?.();
      return leadSequencing(this.pool, this.st, this.leader);
    });
    this.leading = turn.catch(() => {});
    return turn;
  }

  /** Answers the waiters of `records`; whether there were any. */
  private settle(records: ReadonlyMap<string, EventRecord>): boolean {
    let answered = false;
    for (const [pk, record] of records) {
      const waiter = this.waiting.get(pk);
      if (waiter === undefined) continue;
      this.waiting.delete(pk);
      waiter.resolve(record);
      answered = true;
    }
    return answered;
  }

  /** Sequences while appends wait; what another process sequenced is read back. */
  private drive(): void {
    if (this.driving) return;
    this.driving = (async () => {
      for (let failures = 0; this.waiting.size > 0; ) {
        try {
          const seen = this.roundsAnnounced;
          const { led } = await this.lead();
          if (this.waiting.size > 0) this.settle(await this.reads.recordsByPk([...this.waiting.keys()]));
          if (this.waiting.size > 0 && !led) await this.nextRound(ELSEWHERE_WAIT_MS, seen);
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
    if (this.closed || this.queuedCatchUp || this.driving) return;
    try {
      if ((await this.ex.query(this.st.anyPending)).rows[0].pending) await this.catchUp();
    } catch (err) {
      this.logger.warn({ err }, 'journal sequencing failed; it is tried again');
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
