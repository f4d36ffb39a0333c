import { inStatementSpan } from '../tracing.js';
import { toNumberedPlaceholders } from './placeholders.js';
import type { QueryResult, Row, SqlExecutor, SyncSqlExecutor } from './types.js';

/** The part of a `pg` Client, PoolClient or Pool that Causeway uses. */
export interface PgQueryable {
  query(
    query: string | { name?: string; text: string; values?: unknown[] },
    values?: unknown[],
  ): Promise<{ rows: Row[]; rowCount: number | null }>;
}

const statementNames = new Map<string, string>();
/** Statements built for varying list lengths must not fill every session with prepared statements. */
const MAX_PREPARED = 200;

/** A stable name per statement text, for PostgreSQL's per-session prepared statements. */
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_PREPARED) {
    name = `causeway_${statementNames.size.toString(36)}`;
    statementNames.set(text, name);
  }
  return name;
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

/**
 * An executor over a `pg` client or pool. With `prepared`, each statement is prepared once per
 * session and its plan reused (for a fixed set of statements on connections the caller owns).
 */
export function pgExecutor(client: PgQueryable, prepared = false): SqlExecutor {
  return {
    dialect: 'postgres',
    async query(sql, params = []) {
      const text = toNumberedPlaceholders(sql);
      const values = params as unknown[];
      const r = await inStatementSpan('postgres', text, () =>
        client.query(
          prepared ? { name: statementName(text), text, values } : text,
          prepared ? undefined : values,
        ),
      );
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
      const [result] = await inStatementSpan('mysql', sql, () => conn.query(sql, params));
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
  const run = (sql: string, params: readonly unknown[]): QueryResult => {
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
  const querySync = (sql: string, params: readonly unknown[] = []): QueryResult =>
    inStatementSpan('sqlite', sql, () => run(sql, params));
  return {
    dialect: 'sqlite',
    querySync,
    query: async (sql, params) => querySync(sql, params),
  };
}
