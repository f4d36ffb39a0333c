import pg from 'pg';
import { afterAll } from 'vitest';
import { PostgresJournal } from '../../../src/journal/postgres/journal.js';
import { PG_URL, postgresKind, requireOrSkip } from '../../outbox/databases.js';
import { defineConsumerConformance, defineJournalConformance } from './conformance.js';

const available = await requireOrSkip(postgresKind);
const schemas: string[] = [];
afterAll(async () => {
  if (schemas.length === 0) return;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await admin.end();
});

const newSchema = () => {
  const schema = `journal_c${process.pid}_${schemas.length}`;
  schemas.push(schema);
  return schema;
};

if (available) {
  defineJournalConformance({
    name: 'PostgreSQL',
    open: (options) => PostgresJournal.open(PG_URL, { schema: newSchema(), ...options }),
  });
  defineConsumerConformance({
    name: 'PostgreSQL',
    open: async (options) => {
      const schema = newSchema();
      return {
        journal: await PostgresJournal.open(PG_URL, { schema, ...options }),
        reopen: () => PostgresJournal.open(PG_URL, { schema, ...options }),
      };
    },
  });
}
