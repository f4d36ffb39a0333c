import type pg from 'pg';
import { migrateSchema, pgExecutor, translatingErrors } from '../../sql/index.js';
import { journalSchema } from './schema.js';

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
        async withMigrationLock(fn) {
          const client = await pool.connect();
          let broken: Error | undefined;
          const lost = (err: Error) => {
            broken ??= err;
          };
          client.on('error', lost); // a session that dies while checked out must not crash the process
          try {
            await client.query('BEGIN');
            await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`causeway_journal_${schema}`]);
            const result = await fn(pgExecutor(client));
            await client.query('COMMIT');
            return result;
          } catch (err) {
            await client.query('ROLLBACK').catch(lost);
            throw err;
          } finally {
            if (broken === undefined) client.removeListener('error', lost);
            client.release(broken);
          }
        },
      },
      versioned,
      mode,
    ),
  );
}
