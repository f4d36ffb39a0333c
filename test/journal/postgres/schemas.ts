/**
 * Journal schemas of a test file on the shared PostgreSQL: each test names its own, and all are
 * dropped after the file, with the admin pool the tests use to look inside.
 */
import pg from 'pg';
import { afterAll } from 'vitest';
import { PG_URL, postgresKind, requireOrSkip } from '../../outbox/databases.js';

export async function journalSchemas(): Promise<{
  available: boolean;
  admin: pg.Pool;
  newSchema(name: string): string;
}> {
  const available = await requireOrSkip(postgresKind);
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const schemas: string[] = [];
  afterAll(async () => {
    if (available) for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await admin.end();
  });
  return {
    available,
    admin,
    newSchema: (name) => {
      const schema = `journal_${name}${process.pid}`;
      schemas.push(schema);
      return schema;
    },
  };
}
