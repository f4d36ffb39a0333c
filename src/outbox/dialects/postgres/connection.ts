import type pg from 'pg';
import type { Logger } from '../../../logger.js';
import {
  listenToEveryClient,
  loadDriver,
  pgExecutor,
  pgListening,
  runPlan,
  withPgClient,
} from '../../../sql/index.js';
import { mustDiscard, type OutboxConnection } from '../dialect.js';

/** How long a new session may take to be ready, unless the configuration says otherwise. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A pool for the outbox's own sessions. Their commits need not wait for the WAL flush: a database
 * crash can only undo the last sequencing or acknowledgements, which are then redone; enqueues
 * commit in the caller's transaction with the caller's setting. A connection that dies while idle
 * (a restart, a failover, an idle timeout, a proxy reset) is dropped and replaced when next needed.
 */
export function outboxPool(
  config: pg.PoolConfig,
  logger: Logger,
  Pool: typeof pg.Pool = loadDriver<typeof pg>('pg').Pool,
): pg.Pool {
  const { connectionString, fromUrl, connectTimeoutMs } = fromConnectionString(config.connectionString);
  const options = [config.options, fromUrl, '-c synchronous_commit=off'].filter(Boolean).join(' ');
  const pool = new Pool({
    max: 10,
    // pg waits forever for a server that accepts the connection and never answers.
    connectionTimeoutMillis: connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    ...config,
    connectionString,
    options,
  });
  pool.on('error', (err) =>
    logger.warn({ err }, 'outbox database connection lost while idle; it is replaced'),
  );
  listenToEveryClient(pool, (err) => logger.debug({ err }, 'outbox database connection lost'));
  return pool;
}

/**
 * What the outbox takes from a URL itself: its `options` parameter, which pg would let replace the
 * outbox's own (so they are merged instead), and `connect_timeout` (seconds, as libpq reads it),
 * which pg ignores.
 */
function fromConnectionString(connectionString: string | undefined): {
  connectionString: string | undefined;
  fromUrl: string | undefined;
  connectTimeoutMs: number | undefined;
} {
  const none = { connectionString, fromUrl: undefined, connectTimeoutMs: undefined };
  if (connectionString === undefined || !URL.canParse(connectionString)) return none; // a key=value string
  const url = new URL(connectionString);
  const fromUrl = url.searchParams.get('options') ?? undefined;
  const seconds = Number(url.searchParams.get('connect_timeout') ?? Number.NaN);
  const connectTimeoutMs =
    Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, 2 ** 31 - 1) : undefined;
  if (fromUrl === undefined) return { connectionString, fromUrl, connectTimeoutMs };
  url.searchParams.delete('options');
  return { connectionString: url.href, fromUrl, connectTimeoutMs };
}

/** The outbox's connections over a `pg` pool; `owned` pools are closed with the outbox. */
export function postgresConnection(pool: pg.Pool, owned: boolean): OutboxConnection {
  const connection: OutboxConnection = {
    dialect: 'postgres',
    executor: pgExecutor(pool, true),
    transactionPlan: (plan) => connection.transaction((tx) => runPlan(plan(), tx)),
    transaction: (fn) =>
      withPgClient(pool, async (client, discard) => {
        await client.query('BEGIN');
        try {
          const result = await fn(pgExecutor(client, true), client);
          await client.query('COMMIT');
          return result;
        } catch (e) {
          if (mustDiscard(e)) {
            // A statement may still run on it (a handler past its deadline): end the session on the
            // server, which rolls the transaction back, rather than queue a ROLLBACK behind it.
            const pid = (client as unknown as { processID: number }).processID;
            await pool.query('SELECT pg_terminate_backend($1)', [pid]).catch(() => {});
            discard(e as Error);
            throw e;
          }
          await client.query('ROLLBACK').catch(discard); // a session that cannot roll back is not reused
          throw e;
        }
      }),
    withConnection: (fn) => withPgClient(pool, (client) => fn(pgExecutor(client, true))),
    listen: (channel, onMessage, onError) =>
      pgListening(pool, [channel])((payload) => onMessage(payload), onError),
    async close() {
      if (owned) await pool.end();
    },
  };
  return connection;
}
