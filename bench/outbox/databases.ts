/** The databases the outbox cases run against, with a caller-side connection for transactions. */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { Mutex } from '../../src/worker/index.js';
import { benchDir } from '../workload.js';

export type BenchDialect = 'pg' | 'mysql' | 'sqlite';

/** The caller's side: transactions on its own connections, as an application would run them. */
export interface BenchDatabase {
  readonly url: string;
  readonly prefix: string;
  transaction<T>(fn: (tx: object) => Promise<T>): Promise<T>;
  query(sql: string): Promise<void>;
  close(): Promise<void>;
}

const PG_URL = process.env.CAUSEWAY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = process.env.CAUSEWAY_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const TABLES = [
  'partitions',
  'incoming',
  'outgoing',
  'processors',
  'vacuum',
  'dead_letters',
  'dedupe',
  'queues',
  'migrations',
  'orders',
  'jobs',
];

export async function openBenchDatabase(dialect: BenchDialect): Promise<BenchDatabase> {
  const prefix = `bench${randomBytes(4).toString('hex')}`;
  const drop = async (run: (sql: string) => Promise<unknown>) => {
    for (const t of TABLES) await run(`DROP TABLE IF EXISTS ${prefix}_${t}`);
  };
  if (dialect === 'pg') {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 8 });
    await pool.query('SELECT 1');
    return {
      url: PG_URL,
      prefix,
      async transaction(fn) {
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          const r = await fn(c);
          await c.query('COMMIT');
          return r;
        } catch (e) {
          await c.query('ROLLBACK');
          throw e;
        } finally {
          c.release();
        }
      },
      query: async (sql) => void (await pool.query(sql)),
      close: async () => {
        await drop((s) => pool.query(s));
        await pool.end();
      },
    };
  }
  if (dialect === 'mysql') {
    const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 8 });
    await pool.query('SELECT 1');
    return {
      url: MYSQL_URL,
      prefix,
      async transaction(fn) {
        const c = await pool.getConnection();
        try {
          await c.query('START TRANSACTION');
          const r = await fn(c);
          await c.query('COMMIT');
          return r;
        } catch (e) {
          await c.query('ROLLBACK');
          throw e;
        } finally {
          c.release();
        }
      },
      query: async (sql) => void (await pool.query(sql)),
      close: async () => {
        await drop((s) => pool.query(s));
        await pool.end();
      },
    };
  }
  const file = path.join(benchDir('outbox'), `${prefix}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 0');
  const turns = new Mutex();
  const begin = async () => {
    for (;;) {
      try {
        db.exec('BEGIN IMMEDIATE');
        return;
      } catch (e) {
        if (!(e as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw e;
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  };
  return {
    url: `sqlite:${file}`,
    prefix,
    transaction: (fn) =>
      turns.run(async () => {
        await begin();
        try {
          const r = await fn(db);
          db.exec('COMMIT');
          return r;
        } catch (e) {
          db.exec('ROLLBACK');
          throw e;
        }
      }),
    query: async (sql) => {
      await turns.run(() => db.exec(sql));
    },
    close: async () => {
      db.close();
    },
  };
}
