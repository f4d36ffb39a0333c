import type { Dialect } from '../dialect.js';
import { migrations, migrationsTable } from './schema.js';
import { statements } from './statements.js';

export const postgres: Dialect = {
  name: 'postgres',
  capabilities: { notifyOnCommit: true, skipLocked: true, singleWriter: false, transactionalDdl: true },
  migrations,
  migrationsTable,
  statements,
  // A transaction-scoped advisory lock: DDL and the version record commit together, then it frees.
  withMigrationLock: (conn, key, fn) =>
    conn.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext(?))', [key]);
      return fn(tx);
    }),
};
