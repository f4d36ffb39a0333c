/**
 * Cursor workers of a journal in PostgreSQL: batches in global order, progress saved in the
 * journal's `checkpoints` table, one active worker per checkpoint id across every process (a lease
 * in the database, renewed while the worker runs and taken over once it lapses), and a checkpoint a
 * handler can save in its own transaction, with its own writes (exactly-once for them).
 */
import { randomUUID } from 'node:crypto';
import {
  CheckpointAhead,
  CheckpointLeaseLost,
  CheckpointRegionMismatch,
  DatabaseUnavailable,
  InvalidArgument,
} from '../../errors.js';
import type { Logger } from '../../logger.js';
import { type SqlExecutor, type SqlTarget, toSqlExecutor } from '../../sql/index.js';
import { checkOptions, isTimerDelay, keys, MAX_TIMER_MS } from '../../validation.js';
import { Directive, Notifier } from '../../worker/index.js';
import { canonicalRegion, validateCheckpointId } from '../delivery/checkpoint-file.js';
import { RestartBudget, validateRestartPolicy } from '../delivery/restart-budget.js';
import type {
  CursorWorkerConfig,
  CursorWorkerContext,
  CursorWorkerHandle,
  CursorWorkerHandler,
  CursorWorkerOutcome,
} from '../delivery/types.js';
import { checkOutcome, restartAfterThrow, runCursorWorker, tracedHandler } from '../delivery/worker-run.js';
import { validateRegion } from '../region.js';
import type { ReadAllOptions, ReadPage, Region, StoredEvent } from '../types.js';
import type { JournalStatements } from './statements.js';

const WORKER_OPTIONS = keys(
  'name',
  'batchSize',
  'checkpointId',
  'after',
  'restart',
  'pollIntervalMs',
  'leaseMs',
);
/** How long a database failure pauses a worker before it tries again. */
const RETRY_MS = 250;

/** What a cursor worker uses of its journal. */
export interface CursorWorkerFeed {
  readonly ex: SqlExecutor;
  readonly st: JournalStatements;
  readonly logger: Logger;
  readAll(options: ReadAllOptions): Promise<ReadPage>;
  /** The event at `position`, when the journal has one. */
  idAt(position: number): Promise<string | undefined>;
  head(): Promise<number>;
  /** Calls `listener` on every round announced (by any process); returns the way to stop. */
  onRound(listener: () => void): () => void;
}

/** {@link CursorWorkerConfig} on PostgreSQL: `leaseMs` is how long a silent worker keeps its checkpoint. */
export interface PostgresCursorWorkerConfig extends CursorWorkerConfig {
  /** A worker that stops renewing (its process died) is taken over after this. Default 10,000 ms. */
  leaseMs?: number;
}

/** A handler's context on PostgreSQL: it may save the checkpoint in its own transaction. */
export interface PostgresCursorWorkerContext extends CursorWorkerContext {
  /**
   * Saves the checkpoint after this batch in the handler's transaction `tx` (a pg client in a
   * transaction, or a Kysely, Knex, Drizzle or Prisma one): the batch's effects and the progress
   * commit together or not at all. Throws `CheckpointLeaseLost` when another worker took over.
   */
  saveCheckpointIn?(tx: SqlTarget): Promise<void>;
}

export function startPostgresCursorWorker(
  feed: CursorWorkerFeed,
  region: Region,
  config: PostgresCursorWorkerConfig,
  handler: CursorWorkerHandler,
): CursorWorkerHandle {
  checkOptions(config, WORKER_OPTIONS, 'cursor worker option');
  const { batchSize = 64, checkpointId, after = 0, pollIntervalMs = 1000, leaseMs = 10_000 } = config;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new InvalidArgument('batchSize must be a positive integer', { batchSize });
  if (!Number.isSafeInteger(after) || after < 0)
    throw new InvalidArgument('after must be a non-negative integer', { after });
  if (!isTimerDelay(pollIntervalMs, 1))
    throw new InvalidArgument(`pollIntervalMs must be from 1 to ${MAX_TIMER_MS}`, { pollIntervalMs });
  if (!isTimerDelay(leaseMs, 100))
    throw new InvalidArgument(`leaseMs must be from 100 to ${MAX_TIMER_MS}`, { leaseMs });
  if (checkpointId !== undefined) validateCheckpointId(checkpointId);
  if (typeof handler !== 'function') throw new InvalidArgument('a cursor worker needs a handler function');
  validateRegion(region);
  const budget = new RestartBudget(validateRestartPolicy(config.restart ?? { kind: 'once' }));
  const name = config.name ?? checkpointId ?? 'cursor-worker';
  const traced = tracedHandler(name, handler);
  const lease =
    checkpointId === undefined ? null : new Lease(feed, checkpointId, canonicalRegion(region), leaseMs);

  /** Where the next batch starts; `committed` once it is saved (or, without a checkpoint, handled). */
  let committed = after;
  let claimed = lease === null;
  const wake = new Notifier();
  const stopListening = feed.onRound(() => wake.wake());
  const poll = setInterval(() => wake.wake(), pollIntervalMs); // also keeps the process alive
  const waitForLease = () => Directive.sleep(Math.min(leaseMs / 2, pollIntervalMs));
  /** The lease went to another worker, which goes on from the checkpoint: this one waits to take it back. */
  const standBy = (err: unknown) => {
    if (!claimed) return;
    claimed = false;
    lease!.stopRenewing();
    feed.logger.warn(
      { err, worker: name },
      'cursor worker lost its lease to another; it waits to take it back',
    );
    wake.wake();
  };

  const run = async (signal: AbortSignal): Promise<Directive> => {
    try {
      if (lease && !claimed) {
        const at = await lease.claim(after);
        if (at === null) return waitForLease();
        committed = at;
        claimed = true;
        lease.keepAlive(standBy);
      }
      const page = await feed.readAll({ after: committed, region, limit: batchSize });
      if (page.events.length === 0) {
        committed = Math.max(committed, page.nextAfter); // nothing of the region: skipped, never saved alone
        return page.done ? Directive.idle() : Directive.proceed();
      }
      // The lease may have lapsed since it was last renewed (a database outage, a stopped process):
      // no batch is handed out before it is known to be still this worker's.
      if (lease && !(await lease.renew())) {
        standBy(new CheckpointLeaseLost(lease.id));
        return waitForLease();
      }
      const end = page.events[page.events.length - 1].position;
      let savedInHandler = false;
      const context: PostgresCursorWorkerContext = {
        durable: lease !== null,
        committed,
        signal,
        ...(lease && {
          saveCheckpointIn: async (tx: SqlTarget) => {
            await lease.save(toSqlExecutor(tx, 'postgres'), end, page.events[page.events.length - 1].id);
            savedInHandler = true;
          },
        }),
      };
      let outcome: CursorWorkerOutcome;
      try {
        outcome = await traced(page.events as StoredEvent[], context);
      } catch (err) {
        // Neither is the handler's fault: the lease is waited for, the database retried.
        if (err instanceof CheckpointLeaseLost || err instanceof DatabaseUnavailable) throw err;
        restartAfterThrow({ name, logger: feed.logger, budget }, err, committed);
        return Directive.proceed(); // the batch again, from `committed`
      }
      if (checkOutcome(outcome, name) === 'stopWithRollback') {
        handle.stop();
        return Directive.idle();
      }
      if (lease && !savedInHandler) await lease.save(feed.ex, end, page.events[page.events.length - 1].id);
      committed = end;
      if (outcome === 'stop') {
        handle.stop();
        return Directive.idle();
      }
      return Directive.proceed();
    } catch (err) {
      if (err instanceof CheckpointLeaseLost) {
        standBy(err);
        return waitForLease();
      }
      if (!(err instanceof DatabaseUnavailable)) throw err;
      feed.logger.warn({ err, worker: name }, 'cursor worker lost the database; it tries again');
      return Directive.sleep(RETRY_MS);
    }
  };

  const handle = runCursorWorker({
    name,
    logger: feed.logger,
    wake,
    budget,
    committed: () => committed,
    execute: run,
    finish: (stopped) =>
      stopped.finally(async () => {
        stopListening();
        clearInterval(poll);
        await lease
          ?.release()
          .catch((err) =>
            feed.logger.warn({ err, worker: name }, 'cursor worker could not release its lease; it lapses'),
          );
      }),
  });
  return handle;
}

/** The lease on one checkpoint: claimed, renewed while the worker runs, fenced on every save. */
class Lease {
  private readonly owner = randomUUID();
  private renewal: NodeJS.Timeout | null = null;

  constructor(
    private readonly feed: CursorWorkerFeed,
    readonly id: string,
    private readonly region: Region,
    private readonly leaseMs: number,
  ) {}

  /** The saved position when the lease is taken, null while another worker holds it. */
  async claim(after: number): Promise<number | null> {
    const { ex, st } = this.feed;
    const regionJson = JSON.stringify(this.region);
    const { rows } = await ex.query(st.claimCheckpoint, [
      this.id,
      regionJson,
      after,
      this.owner,
      this.leaseMs,
    ]);
    if (rows.length === 0) return null;
    const saved = JSON.parse(rows[0].region as string) as Region;
    if (JSON.stringify(canonicalRegion(saved)) !== regionJson) {
      await this.release();
      throw new CheckpointRegionMismatch(this.id, saved, this.region);
    }
    const position = Number(rows[0].position);
    const id = rows[0].event_id as string | null;
    if (id === null) return position; // nothing saved yet: it starts where it was asked to, and waits there
    const head = await this.feed.head();
    const reason =
      position > head
        ? `the journal ends at ${head}`
        : (await this.feed.idAt(position)) !== id
          ? `the journal holds another event at ${position}`
          : null;
    if (reason !== null) {
      await this.release();
      throw new CheckpointAhead(this.id, position, head, reason);
    }
    return position;
  }

  /** Extends the lease; false when another worker holds it now. */
  async renew(): Promise<boolean> {
    const { ex, st } = this.feed;
    const { rows } = await ex.query(st.renewCheckpointLease, [this.leaseMs, this.id, this.owner]);
    return rows.length > 0;
  }

  /** Renews the lease every third of its term; `lost` hears when another worker took it. */
  keepAlive(lost: (err: CheckpointLeaseLost) => void): void {
    const renew = async () => {
      try {
        if (!(await this.renew())) lost(new CheckpointLeaseLost(this.id));
      } catch (err) {
        this.feed.logger.warn(
          { err, checkpointId: this.id },
          'cursor worker could not renew its lease; it tries again',
        );
      }
    };
    this.stopRenewing();
    this.renewal = setInterval(() => void renew(), Math.max(50, Math.floor(this.leaseMs / 3)));
    this.renewal.unref();
  }

  stopRenewing(): void {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = null;
  }

  /** Saves the position in `ex` (the worker's pool, or a handler's transaction), fenced by the lease. */
  async save(ex: SqlExecutor, position: number, eventId: string): Promise<void> {
    const { rows } = await ex.query(this.feed.st.saveCheckpoint, [position, eventId, this.id, this.owner]);
    if (rows.length === 0) throw new CheckpointLeaseLost(this.id);
  }

  async release(): Promise<void> {
    this.stopRenewing();
    await this.feed.ex.query(this.feed.st.releaseCheckpointLease, [this.id, this.owner]);
  }
}
