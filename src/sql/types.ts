/**
 * The thin layer Causeway runs SQL through: the outbox's own connections and the caller's
 * transactions (driver clients, or the transaction objects of Kysely, Knex, Drizzle and Prisma)
 * all become a {@link SqlExecutor}.
 */

/** The SQL databases Causeway speaks to. */
export type SqlDialect = 'postgres' | 'mysql' | 'sqlite';

/** One result row, keyed by column name. */
export type Row = Record<string, unknown>;

/** What a statement returned: its rows (empty for writes) and how many rows it changed or returned. */
export interface QueryResult {
  readonly rows: Row[];
  readonly rowCount: number;
}

/**
 * Runs statements on one connection or inside one transaction. Causeway's SQL uses `?`
 * placeholders; each executor renders them as its driver expects.
 */
export interface SqlExecutor {
  readonly dialect: SqlDialect;
  query(sql: string, params?: readonly unknown[]): Promise<QueryResult>;
}

/** An executor that can also run a statement synchronously (better-sqlite3). */
export interface SyncSqlExecutor extends SqlExecutor {
  querySync(sql: string, params?: readonly unknown[]): QueryResult;
}

/** True for executors that can run statements synchronously. */
export function isSync(executor: SqlExecutor): executor is SyncSqlExecutor {
  return typeof (executor as SyncSqlExecutor).querySync === 'function';
}
