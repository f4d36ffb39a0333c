import { UnsupportedDatabase } from '../errors.js';
import { typedErrors } from './database-errors.js';
import {
  mysqlExecutor,
  type PgQueryable,
  pgExecutor,
  type SqliteDatabase,
  sqliteExecutor,
} from './drivers.js';
import {
  drizzleExecutor,
  isDrizzle,
  isKnex,
  isKysely,
  isPrisma,
  knexExecutor,
  kyselyExecutor,
  mysqlPromiseApi,
  prismaExecutor,
} from './toolkits.js';
import type { SqlDialect, SqlExecutor } from './types.js';

/**
 * Anything Causeway can run SQL through: a driver connection, client, pool or transaction (pg,
 * mysql2, better-sqlite3), a transaction object of Kysely, Knex, Drizzle or Prisma, or a
 * {@link SqlExecutor}.
 */
export type SqlTarget = object;

// biome-ignore lint/suspicious/noExplicitAny: connections are recognised by shape, not by type.
type Shape = any;

const cache = new WeakMap<object, SqlExecutor>();

/**
 * The executor for `target`, which must speak `dialect` (throws {@link UnsupportedDatabase}); its
 * driver errors arrive typed (`DatabaseUnavailable`, `DatabaseError`).
 */
export function toSqlExecutor(target: SqlTarget, dialect: SqlDialect): SqlExecutor {
  if (target === null || (typeof target !== 'object' && typeof target !== 'function'))
    throw new UnsupportedDatabase(`expected a ${dialect} connection or transaction, got ${typeof target}`);
  let executor = cache.get(target);
  if (!executor) {
    executor = typedErrors(build(target as Shape, dialect));
    cache.set(target, executor);
  }
  if (executor.dialect !== dialect)
    throw new UnsupportedDatabase(`this outbox uses ${dialect}, the connection given is ${executor.dialect}`);
  return executor;
}

function build(t: Shape, dialect: SqlDialect): SqlExecutor {
  if (typeof t.query === 'function' && typeof t.dialect === 'string' && t.dialect in DIALECTS)
    return t as SqlExecutor;
  if (isKysely(t)) return kyselyExecutor(t, dialect);
  if (isKnex(t)) return knexExecutor(t, dialect);
  if (isPrisma(t)) return prismaExecutor(t, dialect);
  if (isDrizzle(t)) {
    if (dialect === 'sqlite')
      throw new UnsupportedDatabase(
        "Drizzle's SQLite transactions are synchronous; enqueue with outbox.enqueueSync(database) inside them",
      );
    return drizzleExecutor(t, dialect);
  }
  if (typeof t.prepare === 'function' && typeof t.pragma === 'function') {
    if (dialect !== 'sqlite') throw mismatch(dialect, 'a better-sqlite3 database');
    return sqliteExecutor(t as unknown as SqliteDatabase);
  }
  if (typeof t.query === 'function') {
    // pg clients can escape identifiers and pg pools count their clients; mysql2 objects do neither.
    const isPg =
      typeof t.escapeIdentifier === 'function' ||
      (typeof t.connect === 'function' && typeof t.totalCount === 'number');
    if (dialect === 'postgres' && isPg) return pgExecutor(t as PgQueryable);
    if (dialect === 'mysql' && !isPg) return mysqlExecutor(mysqlPromiseApi(t));
    throw mismatch(dialect, isPg ? 'a pg client or pool' : 'a mysql2 connection or pool');
  }
  throw new UnsupportedDatabase(
    `cannot run SQL through this object; pass a pg, mysql2 or better-sqlite3 connection, or a Kysely, Knex, Drizzle or Prisma transaction`,
  );
}

const DIALECTS: Record<SqlDialect, true> = { postgres: true, mysql: true, sqlite: true };

const mismatch = (dialect: SqlDialect, got: string) =>
  new UnsupportedDatabase(`this outbox uses ${dialect}, but ${got} was given`);
