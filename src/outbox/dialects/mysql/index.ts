import { WaitTimeout } from '../../../errors.js';
import type { Dialect } from '../dialect.js';
import { migrations, migrationsTable } from './schema.js';
import { statements } from './statements.js';

export const mysql: Dialect = {
  name: 'mysql',
  capabilities: { notifyOnCommit: false, skipLocked: true, singleWriter: false, transactionalDdl: false },
  migrations,
  migrationsTable,
  statements,
  // DDL commits implicitly in MySQL, so the lock is a session lock held on one connection.
  withMigrationLock: (conn, key, fn) =>
    conn.withConnection(async (c) => {
      const { rows } = await c.query('SELECT GET_LOCK(?, 60) AS got', [key]);
      if (Number(rows[0]?.got) !== 1) throw new WaitTimeout(`the migration lock ${key}`, 60_000);
      try {
        return await fn(c);
      } finally {
        await c.query('SELECT RELEASE_LOCK(?)', [key]);
      }
    }),
};
