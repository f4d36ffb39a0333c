/**
 * Driver errors (pg, mysql2, better-sqlite3, and the network under them) turned into Causeway's
 * typed errors, keeping the driver's error as `cause`. Anything else passes through unchanged.
 */
import { CausewayError, DatabaseError, DatabaseUnavailable } from '../errors.js';
import { isSync, type SqlDialect, type SqlExecutor, type SyncSqlExecutor } from './types.js';

/** Network failures, and drivers' codes for a connection the server dropped or refused. */
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);
/** pg reports some losses, and connections it could not set up, only in words. */
const PG_LOST =
  /Connection terminated|connection error and is not queryable|timeout exceeded when trying to connect|Client was closed|Cannot use a pool after calling end|does not support SSL connections/;
/** Conflicts a retry of the whole transaction resolves. */
const RETRYABLE = new Set(['40001', '40P01', '55P03', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/** The typed error for a driver's error, or `err` itself when it did not come from a database. */
export function databaseErrorOf(err: unknown, dialect: SqlDialect): unknown {
  if (err instanceof CausewayError || !(err instanceof Error)) return err;
  const { code, errno, sqlState, fatal } = err as {
    code?: unknown;
    errno?: unknown;
    sqlState?: unknown;
    fatal?: unknown;
  };
  const text = typeof code === 'string' ? code : '';
  if (UNAVAILABLE.has(text) || text.startsWith('08') || fatal === true || PG_LOST.test(err.message))
    return new DatabaseUnavailable(dialect, err);
  const fromDriver =
    /^[0-9A-Z]{5}$/.test(text) ||
    text.startsWith('SQLITE_') ||
    text.startsWith('ER_') ||
    typeof sqlState === 'string';
  if (!fromDriver && typeof errno !== 'number') return err;
  return new DatabaseError(dialect, err, RETRYABLE.has(text) || text.startsWith('SQLITE_BUSY'));
}

/** Runs `fn`, turning a driver's error into a typed one. */
export async function translatingErrors<T>(dialect: SqlDialect, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw databaseErrorOf(e, dialect);
  }
}

/** `ex` with its drivers' errors typed. */
export function typedErrors(ex: SyncSqlExecutor): SyncSqlExecutor;
export function typedErrors(ex: SqlExecutor): SqlExecutor;
export function typedErrors(ex: SqlExecutor): SqlExecutor {
  const { dialect } = ex;
  const query = (sql: string, params?: readonly unknown[]) =>
    translatingErrors(dialect, () => ex.query(sql, params));
  if (!isSync(ex)) return { dialect, query };
  const querySync = (sql: string, params?: readonly unknown[]) => {
    try {
      return ex.querySync(sql, params);
    } catch (e) {
      throw databaseErrorOf(e, dialect);
    }
  };
  const sync: SyncSqlExecutor = { dialect, query, querySync };
  return sync;
}
