import pg from 'pg';
import { pgExecutor, runPlan } from '../../../sql/index.js';
import type { OutboxConnection } from '../dialect.js';

/**
 * A pool for the outbox's own sessions. Their commits need not wait for the WAL flush: a database
 * crash can only undo the last sequencing or acknowledgements, which are then redone; enqueues
 * commit in the caller's transaction with the caller's setting.
 */
export function outboxPool(config: pg.PoolConfig): pg.Pool {
  const options = [config.options, '-c synchronous_commit=off'].filter(Boolean).join(' ');
  return new pg.Pool({ max: 10, ...config, options });
}

/** The outbox's connections over a `pg` pool; `owned` pools are closed with the outbox. */
export function postgresConnection(pool: pg.Pool, owned: boolean): OutboxConnection {
  const connection: OutboxConnection = {
    dialect: 'postgres',
    executor: pgExecutor(pool, true),
    transactionPlan: (plan) => connection.transaction((tx) => runPlan(plan(), tx)),
    async transaction(fn) {
      const client = await pool.connect();
      let broken: unknown;
      try {
        await client.query('BEGIN');
        const result = await fn(pgExecutor(client, true), client);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
        throw e;
      } finally {
        client.release(broken as Error | undefined);
      }
    },
    async withConnection(fn) {
      const client = await pool.connect();
      try {
        return await fn(pgExecutor(client, true));
      } finally {
        client.release();
      }
    },
    async listen(channel, onMessage, onError) {
      // A dedicated client: a LISTEN must stay on one session for as long as it listens.
      const client = new pg.Client(pool.options);
      client.on('notification', (n) => onMessage(n.payload ?? ''));
      client.on('error', onError);
      await client.connect();
      await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
      return async () => {
        client.removeAllListeners('notification');
        await client.end().catch(() => {});
      };
    },
    async close() {
      if (owned) await pool.end();
    },
  };
  return connection;
}
