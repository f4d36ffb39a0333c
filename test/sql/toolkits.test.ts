/**
 * An enqueue joins the caller's transaction whichever toolkit opened it: Kysely, Knex, Drizzle and
 * Prisma, on the databases each supports. A commit makes the message and the caller's row visible
 * together; a throw leaves neither.
 */
import Database from 'better-sqlite3';
import { sql as drizzleSql } from 'drizzle-orm';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { drizzle as drizzleMysql } from 'drizzle-orm/mysql2';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import knex from 'knex';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely';
import mysqlCallback from 'mysql2';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { leased, type Message, Outbox, Result, UnsupportedDatabase } from '../../src/index.js';
import { waitFor } from '../outbox/conformance.js';
import {
  type DatabaseKind,
  MYSQL_URL,
  mysqlKind,
  PG_URL,
  postgresKind,
  requireOrSkip,
  sqliteKind,
  type TestDatabase,
} from '../outbox/databases.js';

/** A toolkit on one database: runs `fn` in its transaction and writes the caller's own row there. */
interface Toolkit {
  name: string;
  kind: DatabaseKind;
  open(db: TestDatabase): {
    transaction(fn: (tx: object, insertRow: (n: number) => Promise<void>) => Promise<void>): Promise<void>;
    close(): Promise<void>;
  };
}

const sqliteFile = (db: TestDatabase) => db.url.slice('sqlite:'.length);

const kysely = (
  kind: DatabaseKind,
  dialect: (db: TestDatabase) => ConstructorParameters<typeof Kysely>[0]['dialect'],
): Toolkit => ({
  name: 'Kysely',
  kind,
  open(db) {
    const k = new Kysely<Record<string, { n: number }>>({ dialect: dialect(db) });
    return {
      transaction: (fn) =>
        k.transaction().execute((trx) =>
          fn(trx, async (n) => {
            await sql`INSERT INTO ${sql.table(`${db.prefix}_rows`)} (n) VALUES (${n})`.execute(trx);
          }),
        ),
      close: () => k.destroy(),
    };
  },
});

const knexToolkit = (kind: DatabaseKind, config: (db: TestDatabase) => knex.Knex.Config): Toolkit => ({
  name: 'Knex',
  kind,
  open(db) {
    const k = knex({ useNullAsDefault: true, ...config(db) });
    return {
      transaction: (fn) =>
        k.transaction((trx) =>
          fn(trx, (n) => trx.raw(`INSERT INTO ${db.prefix}_rows (n) VALUES (?)`, [n]).then(() => {})),
        ),
      close: () => k.destroy(),
    };
  },
});

type DrizzleDb = {
  transaction(fn: (tx: object) => Promise<void>): Promise<void>;
  execute(q: unknown): Promise<unknown>;
};
const drizzleToolkit = (
  kind: DatabaseKind,
  make: () => { db: DrizzleDb; close(): Promise<void> },
): Toolkit => ({
  name: 'Drizzle',
  kind,
  open(db) {
    const { db: d, close } = make();
    return {
      transaction: (fn) =>
        d.transaction((tx) =>
          fn(tx, async (n) => {
            await (tx as DrizzleDb).execute(
              drizzleSql.raw(`INSERT INTO ${db.prefix}_rows (n) VALUES (${n})`),
            );
          }),
        ),
      close,
    };
  },
});

/**
 * Prisma's interactive transactions expose `$queryRawUnsafe` and `$executeRawUnsafe`, which is all
 * the adapter uses. Prisma itself cannot be installed here (its engines download from outside npm),
 * so this stand-in offers exactly that surface over a pg client inside a transaction.
 */
const prismaStandIn: Toolkit = {
  name: 'Prisma (stand-in)',
  kind: postgresKind,
  open(db) {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    return {
      async transaction(fn) {
        const client = await pool.connect();
        const tx = {
          $queryRawUnsafe: async (text: string, ...values: unknown[]) =>
            (await client.query(text, values)).rows,
          $executeRawUnsafe: async (text: string, ...values: unknown[]) =>
            (await client.query(text, values)).rowCount,
        };
        try {
          await client.query('BEGIN');
          await fn(tx, (n) =>
            tx.$executeRawUnsafe(`INSERT INTO ${db.prefix}_rows (n) VALUES ($1)`, n).then(() => {}),
          );
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK');
          throw e;
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  },
};

const TOOLKITS: Toolkit[] = [
  kysely(
    postgresKind,
    () => new PostgresDialect({ pool: new pg.Pool({ connectionString: PG_URL, max: 2 }) }),
  ),
  kysely(
    mysqlKind,
    () => new MysqlDialect({ pool: mysqlCallback.createPool({ uri: MYSQL_URL, connectionLimit: 2 }) }),
  ),
  kysely(sqliteKind, (db) => new SqliteDialect({ database: new Database(sqliteFile(db)) })),
  knexToolkit(postgresKind, () => ({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 2 } })),
  knexToolkit(mysqlKind, () => ({ client: 'mysql2', connection: MYSQL_URL, pool: { min: 0, max: 2 } })),
  knexToolkit(sqliteKind, (db) => ({ client: 'better-sqlite3', connection: { filename: sqliteFile(db) } })),
  drizzleToolkit(postgresKind, () => {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    return { db: drizzlePg(pool) as unknown as DrizzleDb, close: () => pool.end() };
  }),
  drizzleToolkit(mysqlKind, () => {
    const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 });
    return { db: drizzleMysql(pool) as unknown as DrizzleDb, close: () => pool.end() };
  }),
  prismaStandIn,
];

const available = new Map<DatabaseKind, boolean>();
for (const kind of [postgresKind, mysqlKind, sqliteKind]) available.set(kind, await requireOrSkip(kind));

for (const toolkit of TOOLKITS) {
  describe.skipIf(!available.get(toolkit.kind))(`${toolkit.name} on ${toolkit.kind.dialect}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    it('commits the message with the caller’s row, rolls both back on a throw, and delivers it intact', async () => {
      const db = await toolkit.kind.create();
      cleanups.push(() => db.close());
      await db.query(`CREATE TABLE ${db.prefix}_rows (n integer NOT NULL)`);
      const seen: Message[] = [];
      const outbox = await Outbox.start(db.url, {
        prefix: db.prefix,
        queues: {
          q: {
            partitions: 2,
            delivery: leased(async (m) => {
              seen.push(m);
              return Result.ok();
            }),
          },
        },
        tuning: { pollIntervalMs: 100 },
      });
      cleanups.push(() => outbox.stop());
      const t = toolkit.open(db);
      cleanups.push(() => t.close());
      const rows = async () => Number((await db.query(`SELECT COUNT(*) AS n FROM ${db.prefix}_rows`))[0].n);

      await t.transaction(async (tx, insertRow) => {
        await insertRow(1);
        await outbox.enqueue(tx, 'q', { type: 'Committed', key: 'k-1', payload: { n: 1 } });
      });
      await expect(
        t.transaction(async (tx, insertRow) => {
          await insertRow(2);
          await outbox.enqueue(tx, 'q', { type: 'RolledBack', key: 'k-2', payload: { n: 2 } });
          throw new Error('caller gives up');
        }),
      ).rejects.toThrow('caller gives up');

      expect(await rows()).toBe(1);
      await waitFor(() => seen.length === 1, 10_000, 'delivery');
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ type: 'Committed', key: 'k-1', payload: { n: 1 } });
    });
  });
}

describe('Drizzle on SQLite', () => {
  it('is refused with advice: its transactions are synchronous, so enqueueSync with the database is the way', async () => {
    const db = await sqliteKind.create();
    const raw = new Database(sqliteFile(db));
    try {
      const outbox = await Outbox.producer(db.url, { prefix: db.prefix, queues: { q: { partitions: 1 } } });
      await expect(outbox.enqueue(drizzleSqlite(raw), 'q', { type: 'T', payload: 1 })).rejects.toBeInstanceOf(
        UnsupportedDatabase,
      );
      await outbox.stop();
    } finally {
      raw.close();
      await db.close();
    }
  });
});
