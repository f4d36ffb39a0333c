import { toNumberedPlaceholders } from './placeholders.js';
import type { QueryResult, Row, SqlExecutor, SyncSqlExecutor } from './types.js';

/** The part of a `pg` Client, PoolClient or Pool that Causeway uses. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[]; rowCount: number | null }>;
}

/** The part of a `mysql2/promise` Connection, PoolConnection or Pool that Causeway uses. */
export interface MysqlQueryable {
  query(sql: string, values?: unknown): Promise<[unknown, unknown]>;
}

/** The part of a `better-sqlite3` Database that Causeway uses. */
export interface SqliteDatabase {
  prepare(sql: string): {
    readonly reader: boolean;
    all(...params: unknown[]): unknown[];
    run(...params: unknown[]): { changes: number };
  };
  readonly inTransaction: boolean;
  readonly name: string;
  readonly memory: boolean;
}

/** An executor over a `pg` client or pool. */
export function pgExecutor(client: PgQueryable): SqlExecutor {
  return {
    dialect: 'postgres',
    async query(sql, params = []) {
      const r = await client.query(toNumberedPlaceholders(sql), params as unknown[]);
      return { rows: r.rows ?? [], rowCount: r.rowCount ?? r.rows?.length ?? 0 };
    },
  };
}

/** Turns a mysql2 result (rows for reads, a header for writes) into a {@link QueryResult}. */
export function mysqlResult(result: unknown): QueryResult {
  if (Array.isArray(result)) return { rows: result as Row[], rowCount: result.length };
  const header = result as { affectedRows?: number };
  return { rows: [], rowCount: header.affectedRows ?? 0 };
}

/** An executor over a `mysql2/promise` connection or pool. */
export function mysqlExecutor(conn: MysqlQueryable): SqlExecutor {
  return {
    dialect: 'mysql',
    async query(sql, params = []) {
      const [result] = await conn.query(sql, params);
      return mysqlResult(result);
    },
  };
}

type Prepared = ReturnType<SqliteDatabase['prepare']>;
const statementCaches = new WeakMap<SqliteDatabase, Map<string, Prepared>>();

/** A synchronous executor over a `better-sqlite3` database (prepared statements are cached). */
export function sqliteExecutor(db: SqliteDatabase): SyncSqlExecutor {
  let cache = statementCaches.get(db);
  if (!cache) {
    cache = new Map();
    statementCaches.set(db, cache);
  }
  const statements = cache;
  const querySync = (sql: string, params: readonly unknown[] = []): QueryResult => {
    let stmt = statements.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      if (statements.size > 1000) statements.clear();
      statements.set(sql, stmt);
    }
    if (stmt.reader) {
      const rows = stmt.all(...params) as Row[];
      return { rows, rowCount: rows.length };
    }
    return { rows: [], rowCount: stmt.run(...params).changes };
  };
  return {
    dialect: 'sqlite',
    querySync,
    query: async (sql, params) => querySync(sql, params),
  };
}
