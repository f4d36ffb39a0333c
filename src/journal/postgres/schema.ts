/**
 * The journal's tables in PostgreSQL, one PostgreSQL schema per journal (several journals, one per
 * tenant say, share a database). `events` holds what the embedded journal's segments hold, `log` the
 * global order its index keeps: positions are assigned there by the sequencer after the appending
 * transactions commit, so they are dense and in commit order, and a reader never skips an event that
 * commits late.
 */
import { type Migration, schemaSql, type VersionedSchema } from '../../sql/index.js';
import { appendFunction } from './append-function.js';
import { sequenceFunction } from './sequence-function.js';
import { type JournalTables, journalTables } from './tables.js';

/** The schema's history, one entry per version. Timestamps are epoch milliseconds, as embedded. */
export const journalMigrations = (t: JournalTables): Migration[] => [
  {
    version: 1,
    name: 'initial',
    statements: [
      `CREATE TABLE ${t.streams} (
         entity text PRIMARY KEY,
         scope text NOT NULL,
         version bigint NOT NULL,
         last_timestamp double precision NOT NULL)`,
      `CREATE TABLE ${t.events} (
         pk bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         batch_id bigint NOT NULL,
         item integer NOT NULL,
         id uuid NOT NULL UNIQUE,
         entity text NOT NULL,
         scope text NOT NULL,
         stream_version bigint NOT NULL,
         type text NOT NULL,
         payload_version integer NOT NULL,
         timestamp double precision NOT NULL,
         correlation_id uuid NOT NULL,
         causation_id uuid,
         metadata bytea,
         data bytea NOT NULL,
         extensions bytea,
         idem_key text,
         idem_digest bytea,
         layout smallint NOT NULL,
         UNIQUE (entity, stream_version))`,
      `CREATE INDEX events_correlation ON ${t.events} (correlation_id, pk)`,
      `CREATE INDEX events_causation ON ${t.events} (causation_id) WHERE causation_id IS NOT NULL`,
      `CREATE SEQUENCE ${t.schema}.batch_ids`,
      `CREATE TABLE ${t.pending} (
         batch_id bigint NOT NULL,
         item integer NOT NULL,
         event_pk bigint NOT NULL,
         PRIMARY KEY (batch_id, item))
       WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000)`,
      `CREATE TABLE ${t.log} (
         position bigint PRIMARY KEY,
         event_pk bigint NOT NULL UNIQUE,
         entity text NOT NULL,
         stream_version bigint NOT NULL,
         scope text NOT NULL,
         type text NOT NULL,
         prev_hash bytea NOT NULL,
         hash bytea NOT NULL,
         UNIQUE (entity, stream_version))`,
      `CREATE INDEX log_scope ON ${t.log} (scope, position)`,
      `CREATE INDEX log_type ON ${t.log} (type, position)`,
      `CREATE INDEX log_entity_prefix ON ${t.log} (entity COLLATE "C", position)`,
      `CREATE TABLE ${t.head} (
         id integer PRIMARY KEY CHECK (id = 1),
         position bigint NOT NULL)`,
      `INSERT INTO ${t.head} (id, position) VALUES (1, 0)`,
      `CREATE TABLE ${t.idempotency} (
         key text PRIMARY KEY,
         digest bytea NOT NULL,
         event_id uuid NOT NULL)`,
      `CREATE TABLE ${t.checkpoints} (
         id text PRIMARY KEY,
         region text NOT NULL,
         position bigint NOT NULL,
         event_id uuid,
         lease_owner text,
         lease_expires_at bigint)`,
      // The record is append-only: what is written is never changed or removed, by anyone.
      `CREATE FUNCTION ${t.schema}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION 'the journal is append-only: % on %.% refused', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
           USING ERRCODE = 'restrict_violation';
       END $$`,
      `CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON ${t.events}
       FOR EACH ROW EXECUTE FUNCTION ${t.schema}.refuse_change()`,
      `CREATE TRIGGER log_append_only BEFORE UPDATE OR DELETE ON ${t.log}
       FOR EACH ROW EXECUTE FUNCTION ${t.schema}.refuse_change()`,
      appendFunction(t),
      sequenceFunction(t),
    ],
  },
];

/** The journal schema `schema` as a {@link VersionedSchema}: what migrations apply and print. */
export function journalSchema(schema: string): VersionedSchema {
  const t = journalTables(schema);
  const tables = ['streams', 'events', 'pending', 'log', 'head', 'idempotency', 'checkpoints'];
  return {
    label: `journal schema ${schema}`,
    name: schema,
    versionsTable: t.migrations,
    prelude: [
      `CREATE SCHEMA IF NOT EXISTS ${schema}`,
      `CREATE TABLE IF NOT EXISTS ${t.migrations} (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now())`,
    ],
    migrations: journalMigrations(t),
    tables,
    existingTables: (n) =>
      `SELECT table_name AS name FROM information_schema.tables
       WHERE table_schema = '${schema}' AND table_name IN (${Array(n).fill('?').join(', ')})`,
    sqlHint: `journalSchemaSql('${schema}')`,
  };
}

/** The whole history of journal schema `schema` as SQL, for review or for applying by hand. */
export const journalSchemaSql = (schema: string): string => schemaSql(journalSchema(schema));
