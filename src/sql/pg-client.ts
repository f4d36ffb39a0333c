import type pg from 'pg';

/**
 * Checks a client out for `fn`. A connection that dies meanwhile fails the query in flight (which
 * `fn` sees) and is destroyed on release instead of going back to the pool, as is one `fn` discards.
 */
export async function withPgClient<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient, discard: (err: Error) => void) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const discard = (err: Error) => {
    lost ??= err;
  };
  client.on('error', discard);
  try {
    return await fn(client, discard);
  } finally {
    // A discarded client keeps the listener: its session's end (the server's FATAL, a terminated
    // backend) may still arrive after the release, and without a listener it would crash the process.
    if (lost === undefined) client.removeListener('error', discard);
    client.release(lost);
  }
}
