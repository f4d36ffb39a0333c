import type { Pool, PoolConnection } from 'mysql2/promise';
import { mysqlExecutor, runPlan } from '../../../sql/index.js';
import { mustDiscard, type OutboxConnection } from '../dialect.js';

/** The outbox's connections over a `mysql2/promise` pool; `owned` pools are closed with the outbox. */
export function mysqlConnection(pool: Pool, owned: boolean): OutboxConnection {
  const withConn = async <T>(fn: (conn: PoolConnection) => Promise<T>): Promise<T> => {
    const conn = await pool.getConnection();
    let destroyed = false;
    try {
      return await fn(conn);
    } catch (e) {
      if (mustDiscard(e)) {
        // A statement may still run on it (a handler past its deadline): end it on the server.
        await pool.query('KILL ?', [conn.threadId]).catch(() => {});
        destroyed = true;
        conn.destroy();
      }
      throw e;
    } finally {
      if (!destroyed) conn.release();
    }
  };
  const connection: OutboxConnection = {
    dialect: 'mysql',
    executor: mysqlExecutor(pool),
    transactionPlan: (plan) => connection.transaction((tx) => runPlan(plan(), tx)),
    transaction: (fn) =>
      withConn(async (conn) => {
        // Each statement must see what committed before it (a sequencer locks partitions one by one
        // and then reads their messages), not a snapshot taken at the transaction's first read.
        await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
        await conn.query('START TRANSACTION');
        try {
          const result = await fn(mysqlExecutor(conn), conn);
          await conn.query('COMMIT');
          return result;
        } catch (e) {
          // A connection to discard is killed instead: its ROLLBACK could wait behind a statement.
          if (!mustDiscard(e)) await conn.query('ROLLBACK').catch(() => conn.destroy());
          throw e;
        }
      }),
    withConnection: (fn) => withConn((conn) => fn(mysqlExecutor(conn))),
    async close() {
      if (owned) await pool.end();
    },
  };
  return connection;
}
