import type { Dialect } from '../dialect.js';
import { migrations, migrationsTable } from './schema.js';
import { statements } from './statements.js';

export const sqlite: Dialect = {
  name: 'sqlite',
  capabilities: { notifyOnCommit: false, skipLocked: false, singleWriter: true, transactionalDdl: true },
  migrations,
  migrationsTable,
  statements,
  // Every outbox transaction begins IMMEDIATE: holding the write lock is the migration lock.
  withMigrationLock: (conn, _key, fn) => conn.transaction((tx) => fn(tx)),
};
