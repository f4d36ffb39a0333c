import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { coordinate, Outbox, open } from '../../src/index.js';
import { fixture, startChild } from '../children.js';
import { tempDir } from '../helpers.js';
import { postgresKind, requireOrSkip } from '../outbox/databases.js';
import { cli } from './run-cli.js';

/** `text` matched literally inside a RegExp. */
const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const latest = Outbox.migrationSql('sqlite').match(/^-- version \d+:/gm)!.length;

/** A directory laid out as `causeway demo` leaves it: `journal/` with 3 events, `outbox.db` migrated. */
function demoLikeDir(): { dir: string; journal: string; db: string } {
  const dir = tempDir();
  const journal = path.join(dir, 'journal');
  const j = open(journal);
  for (let i = 0; i < 3; i++) j.append(coordinate('order:1', 'shop'), { type: 'OrderPlaced', data: { i } });
  j.close();
  const db = `sqlite:${path.join(dir, 'outbox.db')}`;
  expect(cli(['outbox', 'migrate', db]).code).toBe(0);
  return { dir, journal, db };
}

/** The doctor's report as a map from check name to its line (without the name). */
function report(stdout: string): Record<string, string> {
  const lines = stdout.trim().split('\n');
  const checks = lines.slice(0, -1).map((l) => /^(\S+)\s+(\S+)\s+(.*)$/.exec(l)!);
  return Object.fromEntries(checks.map(([, status, name, text]) => [name, `${status} ${text}`]));
}

/** The database lines of a doctor run with `database`. */
const databaseLines = (database: string, ...more: string[]) => {
  const r = cli(['doctor', '--database', database, ...more]);
  return { ...r, checks: report(r.stdout) };
};

describe('causeway doctor', () => {
  it('passes on a healthy setup: every check ok, and exit 0', () => {
    const { journal, db } = demoLikeDir();
    const r = cli(['doctor', '--database', db, '--journal', journal]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const checks = report(r.stdout);
    expect(checks.node).toMatch(/^ok Node\.js \d+\.\d+\.\d+ satisfies engines\.node /);
    expect(checks.pg).toMatch(/^ok installed \(.*node_modules[\\/]pg\)$/);
    expect(checks.mysql2).toMatch(/^ok installed/);
    expect(checks.database).toMatch(/^ok sqlite at sqlite:.*outbox\.db answered in \d+ ms$/);
    expect(checks.schema).toBe(`ok outbox schema (prefix outbox) is current: version ${latest}`);
    expect(checks.journal).toMatch(
      new RegExp(
        `^ok ${literal(journal)}: 3 events in 1 stream, 1 segment \\([^)]+ (B|KiB)\\), every hash chain intact; no writer holds it$`,
      ),
    );
    expect(r.stdout.trim().split('\n').at(-1)).toBe('no problems found');
  });

  it('without a database or journal checks the rest and skips those', () => {
    const r = cli(['doctor'], { DATABASE_URL: '' });
    expect(r.code).toBe(0);
    const checks = report(r.stdout);
    expect(checks.database).toBe('skip not checked: no --database <url> and no DATABASE_URL');
    expect(checks.schema).toBe('skip not checked: no database');
    expect(checks.journal).toBe('skip not checked: no --journal <dir>');
  });

  it('reports an unreachable database in one line with what to do, and skips the schema', () => {
    const r = cli(['doctor'], { DATABASE_URL: 'postgres://app:secret@127.0.0.1:1/app' });
    expect(r.code).toBe(1);
    const checks = report(r.stdout);
    expect(checks.database).toBe(
      'FAIL postgres://app:***@127.0.0.1:1/app: DATABASE_UNAVAILABLE: the postgres database is unavailable: ' +
        'connect ECONNREFUSED 127.0.0.1:1; check that the server runs, that host and port in the URL are right, and its SSL settings',
    );
    expect(checks.schema).toBe('skip not checked: the database did not answer');
    expect(r.stdout.trim().split('\n').at(-1)).toBe('1 check failed');
  });

  it('gives up on a server that accepts but never answers after --timeout-ms', async () => {
    // The kernel accepts the connection (the test's event loop is blocked meanwhile); nothing replies.
    const server = net.createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const started = Date.now();
      const r = databaseLines(`postgres://postgres@127.0.0.1:${port}/test`, '--timeout-ms', '300');
      expect(r.code).toBe(1);
      expect(r.checks.database).toMatch(/^FAIL .*: DATABASE_UNAVAILABLE: .*no answer within 300 ms; /);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      server.close();
    }
  });

  it('a missing SQLite file is a failure that suggests migrate, and is not created', () => {
    const file = path.join(tempDir(), 'app.db');
    const r = databaseLines(`sqlite:${file}`);
    expect(r.code).toBe(1);
    expect(r.checks.database).toBe(
      `FAIL sqlite:${file}: INVALID_ARGUMENT: no SQLite database at ${file}; check the path, or create the file with causeway outbox migrate sqlite:${file}`,
    );
    expect(fs.existsSync(file)).toBe(false);
  });

  it('tells a missing, older, newer and hand-made schema apart', () => {
    const file = path.join(tempDir(), 'app.db');
    const url = `sqlite:${file}`;
    const db = new Database(file);
    try {
      expect(databaseLines(url).checks.schema).toBe(
        `FAIL no outbox schema (prefix outbox): no version recorded, this Causeway expects ${latest}; run causeway outbox migrate ${url}`,
      );
      db.exec('CREATE TABLE outbox_queues (name text)');
      expect(databaseLines(url).checks.schema).toMatch(
        /^FAIL outbox schema outbox: tables outbox_queues exist, but outbox_migrations records no version .*; compare with causeway outbox schema sqlite$/,
      );
      db.exec('DROP TABLE outbox_queues');
      // Version 1 alone, as an installation that has not migrated since would have it.
      db.exec(Outbox.migrationSql('sqlite').split('-- version 2')[0]);
      const older = databaseLines(url);
      expect(older.checks.schema).toBe(
        `FAIL outbox schema (prefix outbox) is at version 1, this Causeway expects ${latest}; run causeway outbox migrate ${url}`,
      );
      expect(older.code).toBe(1);
      db.exec(`INSERT INTO outbox_migrations (version, name) VALUES (${latest + 1}, 'from the future')`);
      expect(databaseLines(url).checks.schema).toMatch(
        new RegExp(
          `^FAIL outbox schema \\(prefix outbox\\) is at version ${latest + 1}, newer than this Causeway knows \\(${latest}\\); upgrade Causeway`,
        ),
      );
    } finally {
      db.close();
    }
  });

  it('points from a directory holding a journal to the journal, and names what is not one', () => {
    const { dir, db } = demoLikeDir();
    const r = cli(['doctor', '--database', db, '--journal', dir]);
    expect(r.code).toBe(1);
    expect(report(r.stdout).journal).toBe(
      `FAIL not a journal: ${dir} (did you mean ${dir}/journal?); give --journal ${dir}/journal`,
    );
    const empty = tempDir();
    expect(report(cli(['doctor', '--journal', empty]).stdout).journal).toBe(
      `FAIL no journal in ${empty} (no segment files); give the directory the journal was opened in`,
    );
    expect(report(cli(['doctor', '--journal', `${empty}/gone`]).stdout).journal).toBe(
      `FAIL no directory ${empty}/gone; check the path`,
    );
  });

  it('names the writer holding a journal, which is not a failure', async () => {
    const dir = tempDir();
    const writer = startChild(fixture('lock-holder.ts'), [dir]);
    try {
      expect(await writer.ready).toBe('locked');
      const r = cli(['doctor', '--journal', dir], { DATABASE_URL: '' });
      expect(r.code).toBe(0);
      expect(report(r.stdout).journal).toMatch(
        new RegExp(`^ok .*: 1 event in 1 stream, .*; its writer is pid ${writer.proc.pid} on \\S+ since `),
      );
    } finally {
      writer.proc.kill('SIGKILL');
      await writer.exited;
    }
  });

  it('refuses a malformed prefix on stderr before checking anything', () => {
    const r = cli(['doctor', '--prefix', 'Bad-Prefix']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/^causeway: INVALID_ARGUMENT: an outbox prefix is .*\n$/);
  });
});

const pgAvailable = await requireOrSkip(postgresKind);

describe.skipIf(!pgAvailable)('causeway doctor on PostgreSQL', () => {
  afterEach(async () => {
    await pgDb?.close();
  });
  let pgDb: Awaited<ReturnType<typeof postgresKind.create>> | undefined;

  it('says the schema is missing and how to migrate it, then current once migrated', async () => {
    pgDb = await postgresKind.create();
    const { url, prefix } = pgDb;
    const before = databaseLines(url, '--prefix', prefix);
    expect(before.code).toBe(1);
    expect(before.checks.database).toMatch(/^ok postgres at .* answered in \d+ ms$/);
    expect(before.checks.schema).toBe(
      `FAIL no outbox schema (prefix ${prefix}): no version recorded, this Causeway expects ${latest}; ` +
        `run causeway outbox migrate ${url} --prefix ${prefix}`,
    );
    expect(cli(['outbox', 'migrate', url, '--prefix', prefix]).code).toBe(0);
    const after = databaseLines(url, '--prefix', prefix);
    expect(after.checks.schema).toBe(`ok outbox schema (prefix ${prefix}) is current: version ${latest}`);
    expect(after.code).toBe(0);
  });
});
