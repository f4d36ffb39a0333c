import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateJournal } from '../../../src/journal/postgres/migrate.js';
import { journalSchemaSql } from '../../../src/journal/postgres/schema.js';
import { journalTables } from '../../../src/journal/postgres/tables.js';
import { PG_URL, postgresKind, requireOrSkip } from '../../outbox/databases.js';

const available = await requireOrSkip(postgresKind);

describe.skipIf(!available)('the journal schema on PostgreSQL', () => {
  const schemas: string[] = [];
  let pool: pg.Pool;
  const fresh = () => {
    const name = `journal_t${process.pid}_${schemas.length}`;
    schemas.push(name);
    return name;
  };
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: PG_URL, max: 4 });
  });
  afterAll(async () => {
    for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await pool.end();
  });

  it('is created once by processes migrating together, and then verifies', async () => {
    const schema = fresh();
    const runs = await Promise.all([1, 2, 3].map(() => migrateJournal(pool, schema, 'auto')));
    expect(runs.flat()).toEqual([1]);
    expect(await migrateJournal(pool, schema, 'auto')).toEqual([]);
    expect(await migrateJournal(pool, schema, 'verify')).toEqual([]);
  });

  it('is reported missing to a journal that only verifies, and nothing is created', async () => {
    const schema = fresh();
    await expect(migrateJournal(pool, schema, 'verify')).rejects.toMatchObject({
      code: 'SCHEMA_VERSION',
      details: { found: 0, expected: 1 },
    });
    const { rows } = await pool.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
      schema,
    ]);
    expect(rows).toEqual([]);
  });

  it('as printed, applied by hand, is what the journal verifies', async () => {
    const schema = fresh();
    const client = await pool.connect();
    try {
      await client.query(journalSchemaSql(schema)); // several statements: the simple query protocol
    } finally {
      client.release();
    }
    expect(await migrateJournal(pool, schema, 'verify')).toEqual([]);
  });

  it('keeps the record append-only: events and the log refuse updates and deletes', async () => {
    const schema = fresh();
    await migrateJournal(pool, schema, 'auto');
    const t = journalTables(schema);
    await pool.query(
      `INSERT INTO ${t.events} (batch_id, item, id, entity, scope, stream_version, type, payload_version,
         timestamp, correlation_id, data, layout)
       VALUES (1, 0, gen_random_uuid(), 'order:1', 'shop', 0, 'Placed', 1, 0, gen_random_uuid(), '\\x90', 2)`,
    );
    await expect(pool.query(`UPDATE ${t.events} SET type = 'Forged'`)).rejects.toThrow(/append-only/);
    await expect(pool.query(`DELETE FROM ${t.events}`)).rejects.toThrow(/append-only/);
  });

  it('refuses a schema name that is not a plain identifier, before touching the database', () => {
    for (const name of ['', 'Tenant', '1abc', 'a-b', 'x; DROP SCHEMA public', 'a'.repeat(64)])
      expect(() => migrateJournal(pool, name, 'auto')).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
  });
});
