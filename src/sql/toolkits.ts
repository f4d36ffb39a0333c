/**
 * Executors over the transaction objects of query builders and ORMs, so an enqueue joins the
 * caller's transaction whichever toolkit opened it. Each is recognised by the methods it exposes;
 * none of these packages is a dependency of Causeway.
 */
import { type MysqlQueryable, mysqlResult } from './drivers.js';
import { returnsRows, toNumberedPlaceholders } from './placeholders.js';
import type { QueryResult, Row, SqlDialect, SqlExecutor } from './types.js';

// biome-ignore lint/suspicious/noExplicitAny: toolkit objects are recognised by shape, not by type.
type AnyObject = any;

const render = (dialect: SqlDialect, sql: string) =>
  dialect === 'postgres' ? toNumberedPlaceholders(sql) : sql;

/** Normalises a driver result that may be pg-style, mysql2-style or better-sqlite3-style. */
function driverResult(dialect: SqlDialect, result: unknown): QueryResult {
  if (dialect === 'mysql') return mysqlResult(Array.isArray(result) ? result[0] : result);
  if (Array.isArray(result)) return { rows: result as Row[], rowCount: result.length };
  const r = (result ?? {}) as { rows?: Row[]; rowCount?: number | null; changes?: number };
  if (r.rows) return { rows: r.rows, rowCount: r.rowCount ?? r.rows.length };
  return { rows: [], rowCount: r.changes ?? r.rowCount ?? 0 };
}

/** A Kysely instance or transaction (`db.transaction().execute(trx => ...)`). */
export function isKysely(t: AnyObject): boolean {
  return typeof t.executeQuery === 'function' && typeof t.selectFrom === 'function';
}

export function kyselyExecutor(trx: AnyObject, dialect: SqlDialect): SqlExecutor {
  return {
    dialect,
    async query(sql, params = []) {
      const text = render(dialect, sql);
      const r = await trx.executeQuery({
        sql: text,
        parameters: params,
        query: { kind: 'RawNode', sqlFragments: [text], parameters: [] },
        queryId: { queryId: 'causeway' },
      });
      const rows = (r.rows ?? []) as Row[];
      const affected = r.numAffectedRows ?? r.numUpdatedOrDeletedRows;
      return { rows, rowCount: affected === undefined ? rows.length : Number(affected) };
    },
  };
}

/** A Knex instance or transaction (`knex.transaction(trx => ...)`); Knex itself takes `?`. */
export function isKnex(t: AnyObject): boolean {
  return typeof t === 'function' && typeof t.raw === 'function' && typeof t.client === 'object';
}

export function knexExecutor(trx: AnyObject, dialect: SqlDialect): SqlExecutor {
  return {
    dialect,
    async query(sql, params = []) {
      return driverResult(dialect, await trx.raw(sql, params));
    },
  };
}

/** A Drizzle database or transaction (`db.transaction(async tx => ...)`). */
export function isDrizzle(t: AnyObject): boolean {
  return (
    typeof t.select === 'function' &&
    typeof t.transaction === 'function' &&
    (typeof t.execute === 'function' || typeof t.all === 'function') &&
    typeof t.dialect === 'object'
  );
}

// Loaded on first use: only callers who pass a Drizzle transaction have drizzle-orm installed.
let drizzleSql: Promise<AnyObject> | undefined;
const drizzleModule = 'drizzle-orm';

export function drizzleExecutor(tx: AnyObject, dialect: SqlDialect): SqlExecutor {
  return {
    dialect,
    async query(sql, params = []) {
      drizzleSql ??= import(drizzleModule).then((m) => m.sql as AnyObject);
      const s = await drizzleSql;
      const pieces = sql.split('?');
      const chunks: unknown[] = [s.raw(pieces[0])];
      for (let i = 1; i < pieces.length; i++) chunks.push(s.param(params[i - 1]), s.raw(pieces[i]));
      return driverResult(dialect, await tx.execute(s.join(chunks)));
    },
  };
}

/** A Prisma client or interactive transaction (`prisma.$transaction(async tx => ...)`). */
export function isPrisma(t: AnyObject): boolean {
  return typeof t.$queryRawUnsafe === 'function' && typeof t.$executeRawUnsafe === 'function';
}

export function prismaExecutor(tx: AnyObject, dialect: SqlDialect): SqlExecutor {
  return {
    dialect,
    async query(sql, params = []) {
      const text = render(dialect, sql);
      if (returnsRows(sql)) {
        const rows = (await tx.$queryRawUnsafe(text, ...params)) as Row[];
        return { rows, rowCount: rows.length };
      }
      return { rows: [], rowCount: Number(await tx.$executeRawUnsafe(text, ...params)) };
    },
  };
}

/** A mysql2 callback-API object offers `.promise()`; Causeway uses the promise API. */
export function mysqlPromiseApi(t: AnyObject): MysqlQueryable {
  return typeof t.promise === 'function' ? (t.promise() as MysqlQueryable) : (t as MysqlQueryable);
}
