import type { QueryResult, SqlExecutor, SyncSqlExecutor } from './types.js';

/** One statement of a plan. */
export interface Step {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/**
 * A unit of database work written once as a generator that yields statements and receives their
 * results, so it can run synchronously (better-sqlite3, where a transaction must not span an await
 * that lets other code in) or asynchronously (pg, mysql2).
 */
export type Plan<T> = Generator<Step, T, QueryResult>;

export async function runPlan<T>(plan: Plan<T>, ex: SqlExecutor): Promise<T> {
  let next = plan.next();
  while (!next.done) next = plan.next(await ex.query(next.value.sql, next.value.params));
  return next.value;
}

export function runPlanSync<T>(plan: Plan<T>, ex: SyncSqlExecutor): T {
  let next = plan.next();
  while (!next.done) next = plan.next(ex.querySync(next.value.sql, next.value.params));
  return next.value;
}
