import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { coordinate, leased, Outbox, open, openPostgresJournal, Result } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { journalSchemas } from '../journal/postgres/schemas.js';
import { waitFor } from '../outbox/conformance.js';
import {
  type DatabaseKind,
  mysqlKind,
  PG_URL,
  postgresKind,
  requireOrSkip,
  sqliteKind,
  type TestDatabase,
} from '../outbox/databases.js';
import { type Exposition, fillAndSettle, parseExposition, value } from '../telemetry/fixtures.js';
import { cli } from './run-cli.js';

const has = (e: Exposition, prefix: string) => e.samples.some((s) => s.name.startsWith(prefix));

/** Runs `causeway metrics <args>`; expects success and returns the parsed samples. */
function metrics(...args: string[]): Exposition {
  const r = cli(['metrics', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^# HELP causeway_/);
  return parseExposition(r.stdout);
}

/** Runs `causeway metrics <args>`; expects exit 1 with one line on stderr and returns it. */
function failure(args: string[], env: Record<string, string | undefined> = {}): string {
  const r = cli(['metrics', ...args], env);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  return r.stderr;
}

/**
 * An outbox with two queues: `mail` (5 messages, 2 rejected into the dead letters) and `archive`
 * (3 messages no process delivers), stopped once settled. Returns what a later stats() says.
 */
async function settledOutbox(db: TestDatabase) {
  const outbox = await Outbox.start(db.url, {
    prefix: db.prefix,
    queues: {
      mail: {
        partitions: 2,
        delivery: leased(async (m) => (m.type === 'Bad' ? Result.reject('bad') : Result.ok())),
      },
      archive: { partitions: 1 },
    },
    tuning: { pollIntervalMs: 50 },
  });
  try {
    await fillAndSettle(db, outbox);
  } finally {
    await outbox.stop();
  }
}

/** The outbox series of the settled outbox, as a process that delivered nothing itself sees them. */
function expectSettledOutbox(samples: Exposition, prefix: string): void {
  const mail = { outbox: prefix, queue: 'mail' };
  const archive = { outbox: prefix, queue: 'archive' };
  expect(value(samples, 'causeway_outbox_depth', mail)).toBe(0);
  expect(value(samples, 'causeway_outbox_dead_letters', mail)).toBe(2);
  expect(value(samples, 'causeway_outbox_depth', archive)).toBe(3);
  expect(value(samples, 'causeway_outbox_lag', archive)).toBe(3);
  expect(value(samples, 'causeway_outbox_pending', archive)).toBe(0);
  expect(value(samples, 'causeway_outbox_oldest_age_seconds', archive)).toBeGreaterThanOrEqual(0);
  // The command's own process delivered nothing: its counters and histogram are empty.
  expect(value(samples, 'causeway_outbox_delivered_total', mail)).toBe(0);
  expect(value(samples, 'causeway_outbox_handler_duration_seconds_count', mail)).toBe(0);
  expect(value(samples, 'causeway_outbox_handler_duration_seconds_bucket', { ...mail, le: '+Inf' })).toBe(0);
}

describe('causeway metrics on a journal directory', () => {
  it('prints position, watermarks, events, streams and consumer lag, from a directory or --db', () => {
    const dir = tempDir();
    const j = open(dir);
    for (let i = 0; i < 7; i++)
      j.append(coordinate(`acct:${i % 3}`, 'bank'), { type: 'Deposited', data: { i } });
    const cursor = j.cursor({}, { checkpointId: 'statements' });
    cursor.poll(2);
    cursor.commit();
    j.close();

    for (const samples of [metrics(dir), metrics('--db', dir)]) {
      const journal = { journal: 'journal' };
      expect(value(samples, 'causeway_journal_position', journal)).toBe(7);
      expect(value(samples, 'causeway_journal_watermark', { ...journal, mark: 'durable' })).toBe(7);
      expect(value(samples, 'causeway_journal_events', journal)).toBe(7);
      expect(value(samples, 'causeway_journal_streams', journal)).toBe(3);
      expect(value(samples, 'causeway_journal_consumer_lag', { ...journal, consumer: 'statements' })).toBe(5);
      expect(has(samples, 'causeway_outbox_')).toBe(false);
    }
  });

  it('says in one line what is wrong: no journal, both sources, not a URL, no prom-client', () => {
    const empty = tempDir();
    expect(failure([empty])).toBe(`causeway: INVALID_ARGUMENT: no journal in ${empty}\n`);
    expect(failure([empty, '--db', 'sqlite:x.db'])).toMatch(
      /^causeway: INVALID_ARGUMENT: give a journal directory or --db/,
    );
    expect(failure(['--db', 'http://example.com/metrics'])).toMatch(
      /^causeway: INVALID_ARGUMENT: not a journal directory or a database URL/,
    );
    expect(failure([], { DATABASE_URL: '' })).toMatch(
      /^causeway: INVALID_ARGUMENT: give a journal directory/,
    );
    expect(failure(['--db', 'postgres://postgres@127.0.0.1:1/test'])).toMatch(
      /^causeway: DATABASE_UNAVAILABLE: /,
    );

    // prom-client made unfindable in the child: the typed one-liner, before any source is opened.
    const hide = `import Module from 'node:module';
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (/^prom-client([./]|$)/.test(request)) {
    const err = new Error("Cannot find module 'prom-client'");
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};`;
    const nodeOptions = `--import=data:text/javascript;base64,${Buffer.from(hide).toString('base64')}`;
    expect(failure([empty], { NODE_OPTIONS: nodeOptions })).toBe(
      'causeway: DRIVER_MISSING: Prometheus metrics needs the prom-client package, which is not installed: npm install prom-client\n',
    );
  });
});

async function outboxOnly(kind: DatabaseKind) {
  const available = await requireOrSkip(kind);
  describe.skipIf(!available)(`causeway metrics on an outbox in ${kind.dialect}`, () => {
    it('prints the outbox metrics of every queue, and says when there is no outbox', async () => {
      const db = await kind.create();
      try {
        await settledOutbox(db);
        const samples = metrics('--db', db.url, '--prefix', db.prefix);
        expectSettledOutbox(samples, db.prefix);
        expect(has(samples, 'causeway_journal_')).toBe(false);
        expect(failure(['--db', db.url, '--prefix', 'no_such_outbox'])).toMatch(
          /^causeway: INVALID_ARGUMENT: nothing of Causeway's in .*: no outbox tables with prefix no_such_outbox/,
        );
      } finally {
        await db.close();
      }
    });
  });
}

await outboxOnly(sqliteKind);
await outboxOnly(mysqlKind);

describe('causeway metrics on an SQLite file', () => {
  it('refuses a missing file without creating it', () => {
    const file = path.join(tempDir(), 'typo.db');
    expect(failure(['--db', `sqlite:${file}`])).toBe(
      `causeway: INVALID_ARGUMENT: no SQLite database at ${file}\n`,
    );
    expect(fs.existsSync(file)).toBe(false);
    const other = path.join(tempDir(), 'other.db');
    new Database(other).exec('CREATE TABLE t (x)');
    expect(failure(['--db', `sqlite:${other}`])).toMatch(/nothing of Causeway's in sqlite:/);
  });
});

const pgAvailable = await requireOrSkip(postgresKind);
const { newSchema } = await journalSchemas();

describe.skipIf(!pgAvailable)('causeway metrics on PostgreSQL', () => {
  it('prints the journal (with checkpoint lag) and the outbox kept in one database', async () => {
    const schema = newSchema('metrics_cli');
    const journal = await openPostgresJournal(PG_URL, { schema });
    try {
      for (let i = 0; i < 6; i++)
        await journal.append(coordinate(`a:${i % 2}`, 's'), { type: 'A', data: { i } });
      const relay = journal.sinkTo(
        { name: 'mem:x', publish: async () => {}, close: async () => {} },
        { checkpointId: 'to-broker' },
      );
      await waitFor(async () => (await relay.stats()).position === 6, 10_000, 'relay to catch up');
      await relay.stopAndJoin();
      for (let i = 0; i < 2; i++) await journal.append(coordinate('b', 's'), { type: 'B', data: { i } });
    } finally {
      await journal.close();
    }
    const db = await postgresKind.create();
    try {
      await settledOutbox(db);
      const args = ['--db', PG_URL, '--schema', schema];

      const both = metrics(...args, '--prefix', db.prefix);
      const j = { journal: 'journal' };
      expect(value(both, 'causeway_journal_position', j)).toBe(8);
      expect(value(both, 'causeway_journal_watermark', { ...j, mark: 'visible' })).toBe(8);
      expect(value(both, 'causeway_journal_events', j)).toBe(8);
      expect(value(both, 'causeway_journal_streams', j)).toBe(3);
      expect(value(both, 'causeway_journal_consumer_lag', { ...j, consumer: 'to-broker' })).toBe(2);
      expectSettledOutbox(both, db.prefix);

      // Only what is there: the journal without an outbox, the outbox without a journal.
      const journalOnly = metrics(...args, '--prefix', 'no_such_outbox');
      expect(value(journalOnly, 'causeway_journal_position', j)).toBe(8);
      expect(has(journalOnly, 'causeway_outbox_')).toBe(false);
      const outboxOnly = metrics('--db', PG_URL, '--schema', 'no_such_journal', '--prefix', db.prefix);
      expectSettledOutbox(outboxOnly, db.prefix);
      expect(has(outboxOnly, 'causeway_journal_')).toBe(false);

      expect(failure(['--db', PG_URL, '--schema', 'no_such_journal', '--prefix', 'no_such_outbox'])).toMatch(
        /^causeway: INVALID_ARGUMENT: nothing of Causeway's in postgres:\/\/\S+: no journal in schema no_such_journal \(--schema\) and no outbox tables with prefix no_such_outbox \(--prefix\)\n$/,
      );
    } finally {
      await db.close();
    }
  });
});
