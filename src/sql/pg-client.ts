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

/**
 * Gives every client `pool` opens an error listener for its whole life. pg-pool takes its own
 * listener off a client it hands out before the caller's code can add one, so a session the server
 * ends in the same network read that says it is ready (a restart, `pg_terminate_backend`) would
 * raise an unheard 'error' and end the process. The error still reaches the client's user: its next
 * query fails, and the pool drops the client on release.
 */
export function listenToEveryClient(pool: pg.Pool, onError: (err: Error) => void): void {
  pool.on('connect', (client) => client.on('error', onError));
}
