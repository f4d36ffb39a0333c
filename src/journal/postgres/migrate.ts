import type pg from 'pg';
import { migrateSchema, pgExecutor, translatingErrors } from '../../sql/index.js';
import { journalSchema } from './schema.js';
import { inTransaction } from './transaction.js';

/**
 * Brings journal schema `schema` to this code's version (`auto`), or only checks that it is there
 * (`verify`), under a transaction-scoped advisory lock so that processes starting together apply
 * each migration once. Returns the versions applied.
 */
export function migrateJournal(pool: pg.Pool, schema: string, mode: 'auto' | 'verify'): Promise<number[]> {
  const versioned = journalSchema(schema);
  return translatingErrors('postgres', () =>
    migrateSchema(
      {
        executor: pgExecutor(pool),
        withMigrationLock: (fn) =>
          inTransaction(pool, async (ex) => {
            await ex.query('SELECT pg_advisory_xact_lock(hashtext(?))', [`causeway_journal_${schema}`]);
            return fn(ex);
          }),
      },
      versioned,
      mode,
    ),
  );
}
