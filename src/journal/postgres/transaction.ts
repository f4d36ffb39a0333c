import type pg from 'pg';
import { pgExecutor, type SqlExecutor, translatingErrors } from '../../sql/index.js';

/**
 * Runs `fn` in a transaction on a client of `pool`: committed when it returns, rolled back when it
 * throws. Driver errors come out typed. A session that dies meanwhile is discarded, never returned
 * to the pool, and its late errors are caught rather than crashing the process.
 */
export function inTransaction<T>(pool: pg.Pool, fn: (ex: SqlExecutor) => Promise<T>): Promise<T> {
  return translatingErrors('postgres', async () => {
    const client = await pool.connect();
    let broken: Error | undefined;
    const lost = (err: Error) => {
      broken ??= err;
    };
    client.on('error', lost);
    try {
      await client.query('BEGIN');
      const result = await fn(pgExecutor(client, true));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(lost);
      throw err;
    } finally {
      if (broken === undefined) client.removeListener('error', lost);
      client.release(broken);
    }
  });
}
