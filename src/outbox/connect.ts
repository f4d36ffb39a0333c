import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type mysql from 'mysql2/promise';
import type pg from 'pg';
import { InvalidArgument, UnsupportedDatabase } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  databaseErrorOf,
  dialectOfUrl,
  loadDriver,
  redactUrl,
  translatingErrors,
  typedErrors,
} from '../sql/index.js';
import type { Dialect, OutboxConnection } from './dialects/dialect.js';
import { mysqlConnection } from './dialects/mysql/connection.js';
import { mysql as mysqlDialect } from './dialects/mysql/index.js';
import { outboxPool, postgresConnection } from './dialects/postgres/connection.js';
import { postgres } from './dialects/postgres/index.js';
import { sqliteConnection } from './dialects/sqlite/connection.js';
import { sqlite } from './dialects/sqlite/index.js';

/**
 * Where the outbox keeps its tables:
 * - a URL: `postgres://...`, `mysql://...` / `mariadb://...`, or `sqlite:<file>`;
 * - a `pg` Pool (the outbox opens a pool of its own with the same settings) or a `mysql2/promise`
 *   Pool (used as it is, and left open when the outbox stops);
 * - a file-backed better-sqlite3 Database (the outbox opens its own connection to the same file).
 */
export type OutboxDatabase = string | object;

// biome-ignore lint/suspicious/noExplicitAny: connections are recognised by shape, not by type.
type Shape = any;

/**
 * `existing`: the outbox only verifies its schema, so it must not create or change a database file
 * (an operator's command pointed at a mistyped path should change nothing).
 */
export function connect(
  database: OutboxDatabase,
  logger: Logger,
  existing = false,
): { dialect: Dialect; connection: OutboxConnection } {
  const { dialect, connection } = connectTo(database, logger, existing);
  return { dialect, connection: typedConnection(connection) };
}

/** `c` with every driver error typed (`DatabaseUnavailable`, `DatabaseError`), the cause kept. */
function typedConnection(c: OutboxConnection): OutboxConnection {
  const d = c.dialect;
  return {
    ...c,
    executor: typedErrors(c.executor),
    transaction: (fn) =>
      translatingErrors(d, () => c.transaction((tx, client) => fn(typedErrors(tx), client))),
    transactionPlan: (plan) => translatingErrors(d, () => c.transactionPlan(plan)),
    withConnection: (fn) => translatingErrors(d, () => c.withConnection((ex) => fn(typedErrors(ex)))),
    listen:
      c.listen &&
      ((channel, onMessage, onError) => translatingErrors(d, () => c.listen!(channel, onMessage, onError))),
    close: () => translatingErrors(d, () => c.close()),
  };
}

function connectTo(
  database: OutboxDatabase,
  logger: Logger,
  existing: boolean,
): { dialect: Dialect; connection: OutboxConnection } {
  if (typeof database === 'string') return connectUrl(database, logger, existing);
  if (database === null || typeof database !== 'object')
    throw new InvalidArgument(
      `database must be a URL or a connection pool, got ${database === null ? 'null' : typeof database}`,
      { database: String(database) },
    );
  const d = database as Shape;
  if (typeof d.prepare === 'function' && typeof d.pragma === 'function') {
    if (d.memory)
      throw new UnsupportedDatabase('the outbox needs a file-backed SQLite database, not :memory:');
    return connectSqlite(d.name as string, existing);
  }
  if (typeof d.connect === 'function' && typeof d.totalCount === 'number') {
    // The outbox's own pool with the same settings: its sessions are configured for the outbox.
    // Made with the application's own pg, which may not be where Causeway would load it from.
    const pool = outboxPool(ownPoolSettings(d as pg.Pool), logger, d.constructor as typeof pg.Pool);
    return { dialect: postgres, connection: postgresConnection(pool, true) };
  }
  if (typeof d.getConnection === 'function' && typeof d.query === 'function') {
    const pool = (typeof d.promise === 'function' ? d.promise() : d) as mysql.Pool;
    return { dialect: mysqlDialect, connection: mysqlConnection(pool, false) };
  }
  throw new UnsupportedDatabase(
    'pass a database URL, a pg Pool, a mysql2 Pool or a file-backed better-sqlite3 Database',
  );
}

/**
 * The settings of the outbox's own pool, copied from the application's: pg keeps the password out
 * of the enumerable options (so it is not logged), and a spread copy would lose it.
 */
export function ownPoolSettings(pool: pg.Pool): pg.PoolConfig {
  return { ...pool.options, password: pool.options.password, max: 10 };
}

function connectUrl(url: string, logger: Logger, existing: boolean) {
  const dialect = dialectOfUrl(url);
  if ((dialect === 'postgres' || dialect === 'mysql') && !URL.canParse(url))
    throw new InvalidArgument(`not a valid database URL: ${JSON.stringify(redactUrl(url))}`);
  if (dialect === 'postgres')
    return {
      dialect: postgres,
      connection: postgresConnection(outboxPool({ connectionString: url }, logger), true),
    };
  if (dialect === 'mysql') {
    const driver = loadDriver<typeof mysql>('mysql2');
    let pool: mysql.Pool;
    try {
      pool = driver.createPool({ uri: url.replace(/^mariadb:/i, 'mysql:'), connectionLimit: 10 });
    } catch (err) {
      // mysql2 checks the URL's encoding and options as it builds the pool
      throw new InvalidArgument(
        `not a usable MySQL URL ${JSON.stringify(redactUrl(url))}: ${(err as Error).message}`,
      );
    }
    return { dialect: mysqlDialect, connection: mysqlConnection(pool, true) };
  }
  if (dialect === 'sqlite') return connectSqlite(url.replace(/^(sqlite|file):(\/\/)?/i, ''), existing);
  throw new UnsupportedDatabase(`unknown database URL scheme in ${JSON.stringify(redactUrl(url))}`);
}

function connectSqlite(file: string, existing: boolean) {
  if (!file || file === ':memory:')
    throw new UnsupportedDatabase('the outbox needs a file-backed SQLite database, not :memory:');
  if (existing && !fs.existsSync(file)) throw new InvalidArgument(`no SQLite database at ${file}`, { file });
  if (!fs.existsSync(path.dirname(path.resolve(file))))
    throw new InvalidArgument(`no directory for the SQLite database ${file}`, { file });
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    // WAL is a lasting property of the file: set when the outbox may migrate, left as it is otherwise.
    if (!existing) db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 0');
    // Outbox commits need not reach the disk at once: a crash can only undo the last sequencing or
    // acknowledgements, which are then redone; the caller's enqueue keeps the caller's own setting.
    db.pragma('synchronous = NORMAL');
  } catch (err) {
    db?.close();
    throw databaseErrorOf(err, 'sqlite'); // not a database file, a directory, locked
  }
  return { dialect: sqlite, connection: sqliteConnection(db) };
}
