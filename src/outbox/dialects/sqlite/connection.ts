import type Database from 'better-sqlite3';
import { runPlanSync, sqliteExecutor } from '../../../sql/index.js';
import { Mutex } from '../../../worker/index.js';
import type { OutboxConnection } from '../dialect.js';

/** How long the outbox keeps asking for SQLite's write lock (asynchronously) before failing. */
const BUSY_TIMEOUT_MS = 10_000;

const isBusy = (e: unknown) => (e as { code?: string })?.code?.startsWith('SQLITE_BUSY') ?? false;

/**
 * The outbox's own better-sqlite3 connection. Every use is serialised, so nothing the outbox runs
 * slips into another of its transactions. The connection never waits for the write lock
 * synchronously (that would freeze the process and the holder with it); it asks again after a
 * timer, and plans run start to finish without yielding.
 */
export function sqliteConnection(db: Database.Database): OutboxConnection {
  const mutex = new Mutex();
  const raw = sqliteExecutor(db);
  /** Runs `fn`, asking again after a timer while another connection holds the write lock. */
  const whenFree = async <T>(fn: () => T): Promise<T> => {
    const until = Date.now() + BUSY_TIMEOUT_MS;
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      try {
        return fn();
      } catch (e) {
        if (!isBusy(e) || Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };
  const begin = () => whenFree(() => db.exec('BEGIN IMMEDIATE'));
  const rollback = () => {
    if (db.inTransaction) db.exec('ROLLBACK');
  };
  return {
    dialect: 'sqlite',
    executor: {
      dialect: 'sqlite',
      query: (sql, params) => mutex.run(() => whenFree(() => raw.querySync(sql, params))),
    },
    transactionPlan: (plan) =>
      mutex.run(async () => {
        await begin();
        try {
          const result = runPlanSync(plan(), raw);
          db.exec('COMMIT');
          return result;
        } catch (e) {
          rollback();
          throw e;
        }
      }),
    transaction: (fn) =>
      mutex.run(async () => {
        await begin();
        try {
          const result = await fn(raw, db);
          db.exec('COMMIT');
          return result;
        } catch (e) {
          rollback();
          throw e;
        }
      }),
    withConnection: (fn) => mutex.run(() => fn(raw)),
    async close() {
      await mutex.run(() => db.close());
    },
  };
}
