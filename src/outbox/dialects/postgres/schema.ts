import type { Migration, Tables } from '../dialect.js';

/** The PostgreSQL schema, one entry per version. Times are epoch milliseconds. */
export const migrations = (t: Tables): Migration[] => [
  {
    version: 1,
    name: 'initial',
    statements: [
      `CREATE TABLE ${t.queues} (
         name varchar(100) PRIMARY KEY,
         partitions integer NOT NULL)`,
      `CREATE TABLE ${t.partitions} (
         id serial PRIMARY KEY,
         queue varchar(100) NOT NULL REFERENCES ${t.queues} (name),
         part integer NOT NULL,
         next_seq bigint NOT NULL DEFAULT 1,
         UNIQUE (queue, part))`,
      `CREATE TABLE ${t.incoming} (
         id bigserial PRIMARY KEY,
         partition_id integer NOT NULL,
         message_id uuid NOT NULL,
         msg_key varchar(255),
         payload bytea NOT NULL,
         payload_kind smallint NOT NULL,
         payload_type varchar(200) NOT NULL,
         headers text,
         created_at bigint NOT NULL)`,
      `CREATE INDEX ${t.incoming}_partition ON ${t.incoming} (partition_id, id)`,
      `CREATE TABLE ${t.outgoing} (
         partition_id integer NOT NULL,
         seq bigint NOT NULL,
         message_id uuid NOT NULL,
         msg_key varchar(255),
         payload bytea NOT NULL,
         payload_kind smallint NOT NULL,
         payload_type varchar(200) NOT NULL,
         headers text,
         created_at bigint NOT NULL,
         PRIMARY KEY (partition_id, seq))`,
      `CREATE TABLE ${t.processors} (
         partition_id integer PRIMARY KEY,
         acked_seq bigint NOT NULL DEFAULT 0,
         lease_owner varchar(200),
         lease_token varchar(64),
         lease_expires_at bigint,
         attempts integer NOT NULL DEFAULT 0,
         retry_at bigint,
         last_error text)`,
      `CREATE TABLE ${t.vacuum} (
         partition_id integer PRIMARY KEY,
         vacuumed_seq bigint NOT NULL DEFAULT 0)`,
      `CREATE TABLE ${t.deadLetters} (
         id bigserial PRIMARY KEY,
         queue varchar(100) NOT NULL,
         part integer NOT NULL,
         seq bigint NOT NULL,
         message_id uuid NOT NULL,
         msg_key varchar(255),
         payload bytea NOT NULL,
         payload_kind smallint NOT NULL,
         payload_type varchar(200) NOT NULL,
         headers text,
         created_at bigint NOT NULL,
         failed_at bigint NOT NULL,
         attempts integer NOT NULL,
         last_error text)`,
      `CREATE INDEX ${t.deadLetters}_queue ON ${t.deadLetters} (queue, failed_at)`,
      `CREATE TABLE ${t.dedupe} (
         queue varchar(100) NOT NULL,
         dedupe_key varchar(255) NOT NULL,
         message_id uuid NOT NULL,
         created_at bigint NOT NULL,
         PRIMARY KEY (queue, dedupe_key))`,
      `CREATE INDEX ${t.dedupe}_created ON ${t.dedupe} (created_at)`,
    ],
  },
  {
    version: 2,
    name: 'delivery starts',
    statements: [
      `CREATE TABLE ${t.starts} (
         partition_id integer PRIMARY KEY,
         seq bigint NOT NULL,
         started integer NOT NULL,
         until_seq bigint NOT NULL)`,
    ],
  },
];

/** The table that records applied versions; created before any migration runs. */
export const migrationsTable = (t: Tables) =>
  `CREATE TABLE IF NOT EXISTS ${t.migrations} (
     version integer PRIMARY KEY,
     name varchar(100) NOT NULL,
     applied_at timestamptz NOT NULL DEFAULT now())`;
