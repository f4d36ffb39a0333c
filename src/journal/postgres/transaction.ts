import type pg from 'pg';
import { pgExecutor, type SqlExecutor, translatingErrors, withPgClient } from '../../sql/index.js';

/**
 * Runs `fn` in a transaction on a client of `pool`: committed when it returns, rolled back when it
 * throws. Driver errors come out typed. A session that dies meanwhile is discarded, never returned
 * to the pool (see {@link withPgClient}).
 */
export function inTransaction<T>(pool: pg.Pool, fn: (ex: SqlExecutor) => Promise<T>): Promise<T> {
  return translatingErrors('postgres', () =>
    withPgClient(pool, async (client, discard) => {
      await client.query('BEGIN');
      try {
        const result = await fn(pgExecutor(client, true));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(discard); // a session that cannot roll back is not reused
        throw err;
      }
    }),
  );
}
