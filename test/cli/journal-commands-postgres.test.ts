import { describe, expect, it } from 'vitest';
import { coordinate, openPostgresJournal } from '../../src/index.js';
import { journalSchemas } from '../journal/postgres/schemas.js';
import { PG_URL } from '../outbox/databases.js';
import { cli } from './run-cli.js';

const { available, admin, newSchema } = await journalSchemas();
const schema = newSchema('cli');

describe.skipIf(!available)('causeway inspect, verify, tail and events on a journal in PostgreSQL', () => {
  it('read the journal named by --db (or DATABASE_URL) and --schema, as they read a directory', async () => {
    const journal = await openPostgresJournal(PG_URL, { schema });
    let placed: { id: string };
    try {
      for (let i = 0; i < 6; i++)
        await journal.append(coordinate(`acct:${i % 3}`, 'bank'), { type: 'Deposited', data: { i } });
      placed = await journal.append(coordinate('order:1', 'shop'), { type: 'OrderPlaced', data: {} });
      await journal.append(
        coordinate('order:1', 'shop'),
        { type: 'OrderPaid', data: {} },
        { causedBy: placed },
      );
    } finally {
      await journal.close();
    }
    const db = ['--db', PG_URL, '--schema', schema];

    const inspect = cli(['inspect', ...db]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(/events\s+8\s+streams 4/);
    expect(inspect.stdout).toContain('visible 8');
    expect(inspect.stdout).toMatch(/acct:0\s+bank\s+2/);
    expect(JSON.parse(cli(['inspect', ...db, '--json']).stdout)).toMatchObject({
      schema,
      stats: { events: 8, streams: 4 },
    });

    expect(cli(['verify', '--schema', schema], { DATABASE_URL: PG_URL })).toMatchObject({
      code: 0,
      stdout: 'ok: 8 events in 4 streams, every chain intact\n',
    });
    const stream = cli(['events', ...db, '--stream', 'order:1']);
    expect(stream.stdout).toContain('OrderPlaced');
    expect(stream.stdout).toContain('OrderPaid');
    expect(cli(['events', ...db, '--effects', placed.id]).stdout).toMatch(/OrderPlaced[^\n]*\n\s+OrderPaid/);
    const tail = cli(['tail', ...db, '-n', '2', '--json']);
    expect(
      tail.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type),
    ).toEqual(['OrderPlaced', 'OrderPaid']);

    // A changed payload: verify names the stream, version and position of the break, and exits 1.
    await admin.query(`ALTER TABLE ${schema}.events DISABLE TRIGGER events_append_only`);
    await admin.query(
      `UPDATE ${schema}.events SET data = '\\x00' WHERE entity = 'acct:1' AND stream_version = 1`,
    );
    await admin.query(`ALTER TABLE ${schema}.events ENABLE TRIGGER events_append_only`);
    const broken = cli(['verify', ...db]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^BROKEN: .*acct:1/);
  });

  it('refuse a directory and --db together, a database that is not PostgreSQL, and a schema that does not exist', () => {
    const both = cli(['inspect', '/tmp', '--db', PG_URL]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('INVALID_ARGUMENT');
    const mysql = cli(['verify', '--db', 'mysql://root@127.0.0.1/test']);
    expect(mysql.stderr).toMatch(/INVALID_ARGUMENT: a journal is kept in a directory or in PostgreSQL/);
    const none = cli(['inspect', '--db', PG_URL, '--schema', 'no_such_journal']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^causeway: [A-Z_]+: /);
    const nothing = cli(['inspect'], { DATABASE_URL: '' });
    expect(nothing.stderr).toContain(
      'give a journal directory, or a database with --db <url> or DATABASE_URL',
    );
  });
});
