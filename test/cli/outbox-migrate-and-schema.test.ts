import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import {
  MYSQL_URL,
  mysqlKind,
  PG_URL,
  postgresKind,
  requireOrSkip,
  sqliteKind,
  type TestDatabase,
} from '../outbox/databases.js';
import { cli } from './run-cli.js';

/** How many schema versions this code has (the SQL marks each one). */
const latest = Outbox.migrationSql('sqlite').match(/^-- version \d+:/gm)!.length;

/** The schema verifies: an outbox opened with `migrate: 'verify'` starts on it (and stops). */
async function acceptedByVerify(url: string, prefix = 'outbox'): Promise<void> {
  const outbox = await Outbox.producer(url, { prefix, migrate: 'verify' });
  await outbox.stop();
}

const available = {
  sqlite: true,
  postgres: await requireOrSkip(postgresKind),
  mysql: await requireOrSkip(mysqlKind),
};

for (const kind of [sqliteKind, postgresKind, mysqlKind]) {
  describe.skipIf(!available[kind.dialect])(`causeway outbox migrate on ${kind.dialect}`, () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await kind.create();
    });
    afterEach(async () => {
      await db.close();
    });

    it('applies every migration once, then says the schema is current', async () => {
      const first = cli(['outbox', 'migrate', db.url, '--prefix', db.prefix]);
      expect(first).toMatchObject({ code: 0, stderr: '' });
      const lines = first.stdout.trim().split('\n');
      expect(lines).toHaveLength(latest);
      for (const [i, line] of lines.entries())
        expect(line).toMatch(new RegExp(`^applied version ${i + 1}: \\S`));
      await acceptedByVerify(db.url, db.prefix);

      const again = cli(['outbox', 'migrate', '--prefix', db.prefix], { DATABASE_URL: db.url });
      expect(again).toMatchObject({
        code: 0,
        stdout: `already current: outbox schema ${db.prefix} on ${kind.dialect} is at version ${latest}\n`,
        stderr: '',
      });
      const versions = await db.query(`SELECT version FROM ${db.prefix}_migrations ORDER BY version`);
      expect(versions.map((r) => Number(r.version))).toEqual([...Array(latest)].map((_, i) => i + 1));
    });
  });
}

describe('causeway outbox schema', () => {
  it('prints SQL only, which a fresh SQLite file takes and the outbox then verifies', async () => {
    const r = cli(['outbox', 'schema', 'sqlite']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(Outbox.migrationSql('sqlite'));
    const file = path.join(tempDir(), 'app.db');
    const db = new Database(file);
    db.exec(r.stdout);
    db.close();
    await acceptedByVerify(`sqlite:${file}`);
    // The database URL names the dialect as well as its name does; --prefix renames every table.
    expect(cli(['outbox', 'schema', `sqlite:${file}`]).stdout).toBe(r.stdout);
    expect(cli(['outbox', 'schema', '--prefix', 'billing'], { DATABASE_URL: `sqlite:${file}` }).stdout).toBe(
      Outbox.migrationSql('sqlite', 'billing'),
    );
  });

  it.skipIf(!available.postgres)('gives a fresh PostgreSQL schema what the outbox verifies', async () => {
    const schema = `cw_cli_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    // Every session of this URL works in the fresh schema, the outbox's included.
    const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=-c%20search_path%3D${schema}`;
    try {
      const r = cli(['outbox', 'schema', url]);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(r.stdout).finally(() => client.end());
      await acceptedByVerify(url);
      const tables = await admin.query(
        'SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1',
        [schema],
      );
      expect(tables.rows[0].n).toBeGreaterThan(5);
    } finally {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  });

  it.skipIf(!available.mysql)('gives a fresh MariaDB database what the outbox verifies', async () => {
    const name = `cw_cli_${randomBytes(4).toString('hex')}`;
    const admin = await mysql.createConnection({ uri: MYSQL_URL });
    await admin.query(`CREATE DATABASE ${name}`);
    const url = Object.assign(new URL(MYSQL_URL), { pathname: `/${name}` }).href;
    try {
      const r = cli(['outbox', 'schema', 'mariadb']);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const conn = await mysql.createConnection({ uri: url, multipleStatements: true });
      await conn.query(r.stdout).finally(() => conn.end());
      await acceptedByVerify(url);
    } finally {
      await admin.query(`DROP DATABASE ${name}`);
      await admin.end();
    }
  });

  it('refuses what is neither a dialect nor a database URL, and needs one of them', () => {
    expect(cli(['outbox', 'schema', 'oracle'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^causeway: INVALID_ARGUMENT: "oracle" is neither a dialect .*\n$/),
    });
    expect(cli(['outbox', 'schema'], { DATABASE_URL: '' })).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'causeway: INVALID_ARGUMENT: give a dialect (postgres, mysql, sqlite) or a database URL, or set DATABASE_URL\n',
    });
  });
});

describe('causeway outbox migrate failures', () => {
  it('a refused connection is one typed line, not a driver stack', () => {
    const r = cli(['outbox', 'migrate', 'postgres://postgres@127.0.0.1:1/test']);
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'causeway: DATABASE_UNAVAILABLE: the postgres database is unavailable: connect ECONNREFUSED 127.0.0.1:1\n',
    });
    const mariadb = cli(['outbox', 'migrate', 'mariadb://root@127.0.0.1:1/test']);
    expect(mariadb.code).toBe(1);
    expect(mariadb.stderr).toMatch(
      /^causeway: DATABASE_UNAVAILABLE: the mysql database is unavailable: .*\n$/,
    );
  });

  it('without a database names the ways to give one', () => {
    expect(cli(['outbox', 'migrate'], { DATABASE_URL: '' })).toMatchObject({
      code: 1,
      stderr: 'causeway: INVALID_ARGUMENT: give the database with an argument, --db <url> or DATABASE_URL\n',
    });
    const file = path.join(tempDir(), 'a.db');
    const twice = cli(['outbox', 'migrate', `sqlite:${file}`, '--db', `sqlite:${file}x`]);
    expect(twice).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^causeway: INVALID_ARGUMENT: give the database once/),
    });
  });
});
