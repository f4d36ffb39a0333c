/**
 * The journal's SQL on PostgreSQL, each statement whole. `?` placeholders (numbered by the
 * executor); table names come from {@link journalTables}, which validates the schema name.
 */
import type { JournalTables } from './tables.js';

/** The database's clock in epoch milliseconds: leases never depend on the consumers' clocks. */
const NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

/** What a read returns per event: the stored row and its place in the global order. */
const READ_COLUMNS = `l.position, l.prev_hash, l.hash, e.id, e.entity, e.scope, e.stream_version, e.type,
  e.payload_version, e.timestamp, e.correlation_id, e.causation_id, e.metadata, e.data, e.extensions,
  e.idem_key, e.idem_digest, e.layout`;

export function journalStatements(t: JournalTables) {
  return {
    tables: t,
    // ---------------------------------------------------------------- appends
    /** The append function (append-function.ts): any number of independent batches, one row of outcome each. */
    appendBatches: `SELECT r_batch, r_outcome, r_item, r_found, r_pks, r_ids
      FROM ${t.schema}.append_batches(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    /** What a pending receipt says of appended events, sequenced or not. */
    appendedByPk: `SELECT id, entity, stream_version FROM ${t.events} WHERE pk = ANY(?::bigint[]) ORDER BY batch_id, item`,
    appendedById: `SELECT id, entity, stream_version FROM ${t.events} WHERE id = ANY(?::uuid[])`,
    anyPending: `SELECT EXISTS (SELECT 1 FROM ${t.pending}) AS pending`,

    // ---------------------------------------------------------------- sequencing
    /** The lead is a session lock: it ends with the session that holds it, however that ends. */
    takeLead: `SELECT pg_try_advisory_lock(hashtext('${t.schema}.sequencer')) AS led`,
    releaseLead: `SELECT pg_advisory_unlock(hashtext('${t.schema}.sequencer'))`,
    /** See sequence-function.ts: logs the last round, takes the next. */
    sequenceRound: `SELECT * FROM ${t.schema}.sequence_round(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    head: `SELECT position FROM ${t.head} WHERE id = 1`,

    // ---------------------------------------------------------------- consumer checkpoints
    /**
     * Takes the lease of checkpoint `id` (creating it at `position`) unless another consumer holds
     * one that has not expired. Returns the checkpoint when taken, no row when held. Times are the
     * database's, so the clocks of the consumers' machines do not matter.
     */
    claimCheckpoint: `INSERT INTO ${t.checkpoints} AS c (id, region, position, event_id, lease_owner, lease_expires_at)
      VALUES (?, ?, ?, NULL, ?, ${NOW_MS} + ?)
      ON CONFLICT (id) DO UPDATE SET lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at
      WHERE c.lease_owner IS NULL OR c.lease_owner = excluded.lease_owner OR c.lease_expires_at < ${NOW_MS}
      RETURNING c.region, c.position, c.event_id`,
    renewCheckpointLease: `UPDATE ${t.checkpoints} SET lease_expires_at = ${NOW_MS} + ?
      WHERE id = ? AND lease_owner = ? RETURNING id`,
    /** Saves progress while the lease is this consumer's; no row when it was taken over. */
    saveCheckpoint: `UPDATE ${t.checkpoints} SET position = ?, event_id = ?
      WHERE id = ? AND lease_owner = ? RETURNING id`,
    releaseCheckpointLease: `UPDATE ${t.checkpoints} SET lease_owner = NULL, lease_expires_at = NULL
      WHERE id = ? AND lease_owner = ?`,
    /** Every checkpoint, with the journal's head to tell one ahead of it. */
    listCheckpoints: `SELECT c.id, c.region, c.position, h.position AS head
      FROM ${t.checkpoints} c CROSS JOIN ${t.head} h WHERE h.id = 1 ORDER BY c.id`,

    // ---------------------------------------------------------------- copying in
    /** Events copied from another journal, kept as they were; each its own batch. */
    importEvents: `WITH added AS (
        INSERT INTO ${t.events} (batch_id, item, id, entity, scope, stream_version, type, payload_version,
          timestamp, correlation_id, causation_id, metadata, data, extensions, idem_key, idem_digest, layout)
        SELECT u.position, 0, u.id, u.entity, u.scope, u.stream_version, u.type, u.payload_version,
          u.timestamp, u.correlation_id, u.causation_id, u.metadata, u.data, u.extensions, u.idem_key,
          u.idem_digest, u.layout
        FROM unnest(?::bigint[], ?::uuid[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::integer[],
          ?::double precision[], ?::uuid[], ?::uuid[], ?::bytea[], ?::bytea[], ?::bytea[], ?::text[],
          ?::bytea[], ?::smallint[])
          AS u(position, id, entity, scope, stream_version, type, payload_version, timestamp, correlation_id,
            causation_id, metadata, data, extensions, idem_key, idem_digest, layout)
        RETURNING pk, batch_id AS position, entity, stream_version, scope, type),
      logged AS (
        INSERT INTO ${t.log} (position, event_pk, entity, stream_version, scope, type, prev_hash, hash)
        SELECT a.position, a.pk, a.entity, a.stream_version, a.scope, a.type, h.prev_hash, h.hash
        FROM added a JOIN unnest(?::bigint[], ?::bytea[], ?::bytea[]) AS h(position, prev_hash, hash)
          ON h.position = a.position),
      keyed AS (
        INSERT INTO ${t.idempotency} (key, digest, event_id)
        SELECT k.key, k.digest, k.event_id FROM unnest(?::text[], ?::bytea[], ?::uuid[]) AS k(key, digest, event_id)
        WHERE k.key IS NOT NULL)
      INSERT INTO ${t.streams} (entity, scope, version, last_timestamp)
      SELECT DISTINCT ON (s.entity) s.entity, s.scope, s.version, s.last_timestamp
      FROM unnest(?::text[], ?::text[], ?::bigint[], ?::double precision[]) AS s(entity, scope, version, last_timestamp)
      ORDER BY s.entity, s.version DESC
      ON CONFLICT (entity) DO UPDATE SET version = excluded.version, last_timestamp = excluded.last_timestamp`,
    /** Moves the head over copied events; no row when anything else moved it meanwhile. */
    importHead: `UPDATE ${t.head} SET position = ? WHERE id = 1 AND position = ? RETURNING position`,
    /** Later batch ids follow the copied events' (each copied event is a batch of its own). */
    importBatchIds: `SELECT setval('${t.schema}.batch_ids', ?)`,

    // ---------------------------------------------------------------- reads
    byEventPks: `SELECT l.event_pk AS pk, ${READ_COLUMNS} FROM ${t.log} l JOIN ${t.events} e ON e.pk = l.event_pk
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
    /**
     * The direct effects of these events: by cause in the order given, then by position; at most
     * `?`. Each cause is looked up on its own (a lateral join on the causation index), so the plan
     * stays an index lookup per cause whatever the table's size.
     */
    causedByAny: `SELECT x.* FROM unnest(?::uuid[]) WITH ORDINALITY AS p(cause, n)
      CROSS JOIN LATERAL (
        SELECT ${READ_COLUMNS} FROM ${t.events} e JOIN ${t.log} l ON l.event_pk = e.pk
        WHERE e.causation_id = p.cause ORDER BY l.position
      ) x
      ORDER BY p.n, x.position LIMIT ?`,
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
