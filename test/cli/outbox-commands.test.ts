import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leased, Outbox, Result } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { waitFor } from '../outbox/conformance.js';
import { ALL_KINDS, requireOrSkip, type TestDatabase } from '../outbox/databases.js';
import { cli } from './run-cli.js';

for (const kind of ALL_KINDS) {
  const available = await requireOrSkip(kind);

  describe.skipIf(!available)(`causeway outbox on ${kind.dialect}`, () => {
    let db: TestDatabase;
    beforeEach(async () => {
      db = await kind.create();
    });
    afterEach(async () => {
      await db.close();
    });

    /** An outbox whose handler rejects everything: `n` messages end up as dead letters. */
    async function deadLetters(n: number): Promise<void> {
      const outbox = await Outbox.start(db.url, {
        prefix: db.prefix,
        queues: {
          mail: { partitions: 2, delivery: leased(async () => Result.reject('mail server says no')) },
        },
        tuning: { pollIntervalMs: 50 },
      });
      try {
        await db.transaction(async (tx) => {
          for (let i = 0; i < n; i++)
            await outbox.enqueue(tx, 'mail', {
              type: i === 0 ? 'Welcome' : 'Receipt',
              key: `c${i}`,
              payload: { i },
            });
        });
        await waitFor(async () => (await outbox.deadLetters.count()).mail === n, 15_000, 'dead letters');
      } finally {
        await outbox.stop();
      }
    }

    const run = (...args: string[]) => cli(['outbox', ...args, '--db', db.url, '--prefix', db.prefix]);

    it('status, dead-letters, redrive and purge work on a real outbox', async () => {
      await deadLetters(3);

      const status = run('status');
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(
        /queue\s+partitions\s+depth\s+pending\s+lag\s+oldest\s+retrying\s+dead letters/,
      );
      expect(status.stdout).toMatch(/mail\s+2\s+0\s+0\s+0\s+-\s+0\s+3/);

      const listed = run('dead-letters');
      expect(listed.stdout.match(/mail server says no/g)).toHaveLength(3);
      const json = run('dead-letters', '--json', '--type', 'Welcome')
        .stdout.trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(json).toHaveLength(1);
      expect(json[0]).toMatchObject({ queue: 'mail', type: 'Welcome', payload: { i: 0 } });

      expect(run('redrive', '--id', String(json[0].deadLetterId)).stdout).toBe('redrove 1 dead letter\n');
      const after = JSON.parse(run('status', '--json').stdout);
      expect(after[0]).toMatchObject({ queue: 'mail', depth: 1, deadLetters: 2 });

      const refused = run('purge');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^causeway: INVALID_ARGUMENT: purge needs a filter/);
      expect(run('purge', '--all').stdout).toBe('purged 2 dead letters\n');
      expect(run('dead-letters').stdout).toBe('no dead letters\n');
    });

    it('takes the database from DATABASE_URL, and names a database without outbox tables in one line', () => {
      const fromEnv = cli(['outbox', 'status', '--prefix', db.prefix], { DATABASE_URL: db.url });
      expect(fromEnv.code).not.toBe(0); // no tables under this prefix yet: verify mode refuses
      expect(fromEnv.stderr.trim().split('\n')).toHaveLength(1);
      expect(fromEnv.stderr).toMatch(/^causeway: /);
      const none = cli(['outbox', 'status'], { DATABASE_URL: '' });
      expect(none).toMatchObject({
        code: 1,
        stderr: 'causeway: INVALID_ARGUMENT: give the database with --db <url> or DATABASE_URL\n',
      });
    });
  });
}

describe('causeway outbox without a database', () => {
  it('never creates or changes an SQLite file it is pointed at', () => {
    const file = path.join(tempDir(), 'typo.db');
    const r = cli(['outbox', 'status', '--db', `sqlite:${file}`]);
    expect(r).toMatchObject({
      code: 1,
      stderr: `causeway: INVALID_ARGUMENT: no SQLite database at ${file}\n`,
    });
    expect(fs.existsSync(file)).toBe(false);
    const existing = path.join(tempDir(), 'app.db');
    new Database(existing).exec('CREATE TABLE t (x)');
    expect(cli(['outbox', 'status', '--db', `sqlite:${existing}`]).code).toBe(1); // no outbox tables
    const db = new Database(existing);
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    db.close();
  });

  it('reports an unreachable server in one line, not as a missing schema', () => {
    const r = cli(['outbox', 'status', '--db', 'postgres://postgres@127.0.0.1:1/test']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'causeway: DATABASE_UNAVAILABLE: the postgres database is unavailable: connect ECONNREFUSED 127.0.0.1:1\n',
    );
  });
});
