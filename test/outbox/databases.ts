/**
 * The databases the outbox conformance suite runs against. PostgreSQL and MariaDB must be reachable
 * under CI; elsewhere a missing server skips its suite and says so.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { SqlDialect } from '../../src/index.js';
import { Mutex } from '../../src/worker/index.js';

export const PG_URL = process.env.CAUSEWAY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.CAUSEWAY_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** A database for one test: a URL the outbox opens, and the caller's own connection for transactions. */
export interface TestDatabase {
  readonly dialect: SqlDialect;
  /** What `Outbox.start` is given. */
  readonly url: string;
  /** A fresh table prefix, so tests never see each other's rows. */
  readonly prefix: string;
  /** Runs `fn` in a transaction on the caller's connection; commits unless it throws. */
  transaction<T>(fn: (tx: object) => Promise<T>): Promise<T>;
  /** A query outside any transaction (`?` placeholders). */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface DatabaseKind {
  readonly dialect: SqlDialect;
  /** Null when the server is unreachable (outside CI only). */
  available(): Promise<boolean>;
  /** A database on the shared server, or on `url` (a server of the test's own). */
  create(url?: string): Promise<TestDatabase>;
}

const prefix = () => `t${randomBytes(5).toString('hex')}`;

async function dropTables(query: (sql: string) => Promise<unknown>, list: string[], p: string) {
  for (const t of list) await query(`DROP TABLE IF EXISTS ${p}_${t}`).catch(() => {});
}
const TABLES = [
  'partitions',
  'incoming',
  'outgoing',
  'processors',
  'vacuum',
  'dead_letters',
  'dedupe',
  'starts',
  'queues',
  'migrations',
  'handled',
];

export const postgresKind: DatabaseKind = {
  dialect: 'postgres',
  async available() {
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      return false;
    }
  },
  async create(url = PG_URL) {
    const pool = new pg.Pool({ connectionString: url, max: 5 });
    pool.on('error', () => {}); // fault tests restart the server under this pool
    const p = prefix();
    const toDollar = (sql: string) => {
      let n = 0;
      return sql.replace(/\?/g, () => `$${++n}`);
    };
    return {
      dialect: 'postgres',
      url,
      prefix: p,
      async transaction(fn) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const r = await fn(client);
          await client.query('COMMIT');
          return r;
        } catch (e) {
          await client.query('ROLLBACK');
          throw e;
        } finally {
          client.release();
        }
      },
      query: async (sql, params = []) => (await pool.query(toDollar(sql), params)).rows,
      async close() {
        await dropTables((s) => pool.query(s), TABLES, p);
        await pool.end();
      },
    };
  },
};

export const mysqlKind: DatabaseKind = {
  dialect: 'mysql',
  async available() {
    try {
      const c = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 2000 });
      await c.end();
      return true;
    } catch {
      return false;
    }
  },
  async create(url = MYSQL_URL) {
    const pool = mysql.createPool({ uri: url, connectionLimit: 5 });
    const p = prefix();
    return {
      dialect: 'mysql',
      url,
      prefix: p,
      async transaction(fn) {
        const conn = await pool.getConnection();
        try {
          await conn.query('START TRANSACTION');
          const r = await fn(conn);
          await conn.query('COMMIT');
          return r;
        } catch (e) {
          await conn.query('ROLLBACK');
          throw e;
        } finally {
          conn.release();
        }
      },
      query: async (sql, params = []) => {
        const [rows] = await pool.query(sql, params);
        return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
      },
      async close() {
        await dropTables((s) => pool.query(s), TABLES, p);
        await pool.end();
      },
    };
  },
};

export const sqliteKind: DatabaseKind = {
  dialect: 'sqlite',
  available: async () => true,
  async create() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'causeway-outbox-'));
    const file = path.join(dir, 'app.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    // Like the outbox, the test's caller never waits for the write lock synchronously.
    db.pragma('busy_timeout = 0');
    const turns = new Mutex();
    return {
      dialect: 'sqlite',
      url: `sqlite:${file}`,
      prefix: prefix(),
      // One connection: concurrent callers take turns.
      transaction: (fn) =>
        turns.run(async () => {
          await whenNotBusy(() => db.exec('BEGIN IMMEDIATE'));
          try {
            const r = await fn(db);
            db.exec('COMMIT');
            return r;
          } catch (e) {
            db.exec('ROLLBACK');
            throw e;
          }
        }),
      query: (sql, params = []) =>
        whenNotBusy(() => {
          const stmt = db.prepare(sql);
          if (stmt.reader) return stmt.all(...params) as Record<string, unknown>[];
          stmt.run(...params);
          return [];
        }),
      async close() {
        db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** Runs `fn`, trying again after a timer while SQLite reports another connection holds the lock. */
async function whenNotBusy<T>(fn: () => T): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return fn();
    } catch (e) {
      if (!(e as { code?: string }).code?.startsWith('SQLITE_BUSY') || i > 2000) throw e;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

export const ALL_KINDS = [sqliteKind, postgresKind, mysqlKind];

/** Under CI a database server must be there; elsewhere its absence skips with a message. */
export async function requireOrSkip(kind: DatabaseKind): Promise<boolean> {
  if (await kind.available()) return true;
  if (process.env.CI) throw new Error(`${kind.dialect} is not reachable, and CI requires it`);
  console.warn(`[skip] ${kind.dialect} is not reachable; its outbox tests are skipped outside CI`);
  return false;
}
