/** The journal's table names in PostgreSQL, one PostgreSQL schema per journal. */
import { InvalidArgument } from '../../errors.js';

/** Table names of a journal schema, qualified. */
export interface JournalTables {
  readonly schema: string;
  /** One row per stream: its version and scope, the per-stream serialization point of appends. */
  readonly streams: string;
  /** The events as appended: ids, links, payload bytes (immutable). */
  readonly events: string;
  /** Appended events not yet given a position; drained by the sequencer. */
  readonly pending: string;
  /** The global order: position, stream version and hash chain per event. */
  readonly log: string;
  /** The last position given: the sequencer's fencing row. */
  readonly head: string;
  /** Idempotency keys and the digest of what they were first used for. */
  readonly idempotency: string;
  /** Consumer checkpoints, with the lease of the process running each. */
  readonly checkpoints: string;
  readonly migrations: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Schemas that are never a journal's own: PostgreSQL's, and the default one applications share. */
const NOT_OWN = /^(pg_.*|information_schema|public)$/;

/** The tables of the journal kept in PostgreSQL schema `schema` (a plain lower-case identifier). */
export function journalTables(schema: string): JournalTables {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema))
    throw new InvalidArgument(
      'a journal schema name is 1 to 63 lower-case letters, digits and underscores, not starting with a digit',
      { schema },
    );
  if (NOT_OWN.test(schema))
    throw new InvalidArgument(`a journal needs a schema of its own, not ${schema}`, { schema });
  const q = (table: string) => `${schema}.${table}`;
  return {
    schema,
    streams: q('streams'),
    events: q('events'),
    pending: q('pending'),
    log: q('log'),
    head: q('head'),
    idempotency: q('idempotency'),
    checkpoints: q('checkpoints'),
    migrations: q('migrations'),
  };
}
