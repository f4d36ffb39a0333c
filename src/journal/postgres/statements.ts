/**
 * The journal's SQL on PostgreSQL, each statement whole. `?` placeholders (numbered by the
 * executor); table names come from {@link journalTables}, which validates the schema name.
 */
import type { JournalTables } from './schema.js';

/** Columns of an event row (but its batch id), in the order {@link JournalStatements.writeAppend} takes them. */
export const EVENT_COLUMNS = [
  'item',
  'id',
  'entity',
  'scope',
  'stream_version',
  'type',
  'payload_version',
  'timestamp',
  'correlation_id',
  'causation_id',
  'metadata',
  'data',
  'extensions',
  'idem_key',
  'idem_digest',
  'layout',
] as const;

/** What a read returns per event: the stored row and its place in the global order. */
const READ_COLUMNS = `l.position, l.prev_hash, l.hash, e.id, e.entity, e.scope, e.stream_version, e.type,
  e.payload_version, e.timestamp, e.correlation_id, e.causation_id, e.metadata, e.data, e.extensions,
  e.idem_key, e.idem_digest, e.layout`;

export function journalStatements(t: JournalTables) {
  return {
    tables: t,
    // ---------------------------------------------------------------- appends
    /** Serializes appends per stream (existing or not), taken in sorted order: no deadlocks. */
    lockStreams: `SELECT pg_advisory_xact_lock(hashtext('${t.schema}'), hashtext(entity))
      FROM unnest(?::text[]) AS entity ORDER BY entity`,
    streamHeads: `SELECT entity, scope, version, last_timestamp FROM ${t.streams} WHERE entity = ANY(?::text[])`,
    idempotencyUsed: `SELECT key, digest, event_id FROM ${t.idempotency} WHERE key = ANY(?::text[])`,
    /** Claims keys; a key another transaction claimed first waits for it, then returns no row. */
    claimIdempotency: (n: number) => `INSERT INTO ${t.idempotency} (key, digest, event_id)
      VALUES ${rows(n, 3)} ON CONFLICT (key) DO NOTHING RETURNING key`,
    correlationOf: `SELECT id, correlation_id FROM ${t.events} WHERE id = ANY(?::uuid[])`,
    /**
     * The append's writes in one statement: the batch id (taken after the stream locks, so a batch
     * that waited for another gets the larger one), the new stream heads, the events and their
     * pending rows. Returns each event's row key by item.
     */
    writeAppend: (
      streams: number,
      events: number,
    ) => `WITH batch AS (SELECT nextval('${t.schema}.batch_ids') AS id),
      heads AS (
        INSERT INTO ${t.streams} (entity, scope, version, last_timestamp) VALUES ${rows(streams, 4)}
        ON CONFLICT (entity) DO UPDATE SET version = excluded.version, last_timestamp = excluded.last_timestamp),
      added AS (
        INSERT INTO ${t.events} (batch_id, ${EVENT_COLUMNS.join(', ')})
        SELECT batch.id, v.* FROM batch, (VALUES ${typedRows(events)}) AS v
        RETURNING pk, item, batch_id)
      INSERT INTO ${t.pending} (batch_id, item, event_pk) SELECT batch_id, item, pk FROM added
      RETURNING event_pk AS pk, item`,
    wakeSequencers: `SELECT pg_notify('${t.schema}_pending', '')`,
    /** What a pending receipt says of appended events, sequenced or not. */
    appendedByPk: `SELECT id, entity, stream_version FROM ${t.events} WHERE pk = ANY(?::bigint[]) ORDER BY batch_id, item`,
    appendedById: `SELECT id, entity, stream_version FROM ${t.events} WHERE id = ANY(?::uuid[])`,
    anyPending: `SELECT EXISTS (SELECT 1 FROM ${t.pending}) AS pending`,

    // ---------------------------------------------------------------- sequencing
    /** One round at a time: the head row is the fence. */
    lockHead: `SELECT position FROM ${t.head} WHERE id = 1 FOR UPDATE`,
    /** Whole batches only: a batch's events take consecutive positions. */
    takePending: `DELETE FROM ${t.pending} WHERE batch_id IN (
        SELECT DISTINCT batch_id FROM ${t.pending} ORDER BY batch_id LIMIT ?)
      RETURNING batch_id, item, event_pk`,
    pendingEvents: `SELECT pk, id, entity, scope, stream_version, type, payload_version, timestamp,
        correlation_id, causation_id, metadata, data, extensions, idem_key, idem_digest, layout
      FROM ${t.events} WHERE pk = ANY(?::bigint[])`,
    /** The last logged event of each stream: the head of its hash chain. */
    chainHeads: `SELECT DISTINCT ON (entity) entity, stream_version, hash FROM ${t.log}
      WHERE entity = ANY(?::text[]) ORDER BY entity, stream_version DESC`,
    insertLog: `INSERT INTO ${t.log} (position, event_pk, entity, stream_version, scope, type, prev_hash, hash)
      SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::bytea[], ?::bytea[])`,
    advanceHead: `UPDATE ${t.head} SET position = ? WHERE id = 1`,
    announce: `SELECT pg_notify('${t.schema}_sequenced', ?)`,
    head: `SELECT position FROM ${t.head} WHERE id = 1`,

    // ---------------------------------------------------------------- reads
    byEventPks: `SELECT ${READ_COLUMNS} FROM ${t.log} l JOIN ${t.events} e ON e.pk = l.event_pk
      WHERE l.event_pk = ANY(?::bigint[]) ORDER BY l.position`,
    byIds: `SELECT ${READ_COLUMNS} FROM ${t.log} l JOIN ${t.events} e ON e.pk = l.event_pk
      WHERE e.id = ANY(?::uuid[]) ORDER BY l.position`,
    readStream: `SELECT ${READ_COLUMNS} FROM ${t.log} l JOIN ${t.events} e ON e.pk = l.event_pk
      WHERE l.entity = ? AND l.stream_version >= ? ORDER BY l.stream_version LIMIT ?`,
    readStreamBackwards: `SELECT ${READ_COLUMNS} FROM ${t.log} l JOIN ${t.events} e ON e.pk = l.event_pk
      WHERE l.entity = ? AND l.stream_version <= ? ORDER BY l.stream_version DESC LIMIT ?`,
    /** A page of the global order; each filter applies only when its parameter is not null. */
    readAll: `SELECT ${READ_COLUMNS} FROM ${t.log} l JOIN ${t.events} e ON e.pk = l.event_pk
      WHERE l.position > ? AND l.position <= ?
        AND (?::text[] IS NULL OR l.type = ANY(?::text[]))
        AND (?::text IS NULL OR l.scope = ?)
        AND (?::text IS NULL OR l.entity = ? OR starts_with(l.entity, ? || ':'))
      ORDER BY l.position LIMIT ?`,
    streamVersion: `SELECT max(stream_version) AS version FROM ${t.log} WHERE entity = ?`,
    causedBy: `SELECT ${READ_COLUMNS} FROM ${t.log} l JOIN ${t.events} e ON e.pk = l.event_pk
      WHERE e.causation_id = ? ORDER BY l.position`,
    correlated: `SELECT ${READ_COLUMNS} FROM ${t.log} l JOIN ${t.events} e ON e.pk = l.event_pk
      WHERE e.correlation_id = ? ORDER BY l.position`,
    streams: `SELECT entity, scope, count(*)::bigint AS events FROM ${t.log}
      WHERE ?::text IS NULL OR entity = ? OR starts_with(entity, ? || ':')
      GROUP BY entity, scope ORDER BY entity`,
    size: `SELECT (SELECT count(*) FROM ${t.log})::bigint AS events,
        (SELECT count(*) FROM ${t.streams})::bigint AS streams,
        (pg_total_relation_size('${t.events}') + pg_total_relation_size('${t.log}'))::bigint AS bytes`,
  };
}

export type JournalStatements = ReturnType<typeof journalStatements>;

/** The PostgreSQL type of each of {@link EVENT_COLUMNS}: values in a VALUES list are typed by hand. */
const EVENT_TYPES = [
  'integer',
  'uuid',
  'text',
  'text',
  'bigint',
  'text',
  'integer',
  'double precision',
  'uuid',
  'uuid',
  'bytea',
  'bytea',
  'bytea',
  'text',
  'bytea',
  'smallint',
];

/** `n` rows of event values, each placeholder cast to its column's type. */
function typedRows(n: number): string {
  const row = `(${EVENT_TYPES.map((type) => `?::${type}`).join(', ')})`;
  return Array(n).fill(row).join(', ');
}

/** `(?, ?), (?, ?)`: `n` rows of `width` placeholders. */
function rows(n: number, width: number): string {
  const row = `(${Array(width).fill('?').join(', ')})`;
  return Array(n).fill(row).join(', ');
}
