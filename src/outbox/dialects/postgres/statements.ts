import type { DialectStatements, Tables } from '../dialect.js';

const COLUMNS = 'message_id, msg_key, payload, payload_kind, payload_type, headers, created_at';

const now = '(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint';

/**
 * Records, per partition of the messages in `source` (a CTE with `partition_id` and `seq`), that a
 * delivery of them begins after a finished one: a lone message counts its first start, a batch none.
 */
const recordFreshStarts = (t: Tables, source: string) =>
  `INSERT INTO ${t.starts} (partition_id, seq, started, until_seq)
         SELECT partition_id, MIN(seq), CASE WHEN COUNT(*) = 1 THEN 1 ELSE 0 END, MAX(seq)
         FROM ${source} GROUP BY partition_id
         ON CONFLICT (partition_id) DO UPDATE
           SET seq = excluded.seq, started = excluded.started, until_seq = excluded.until_seq`;

export const statements = (t: Tables): DialectStatements => ({
  now,
  insertIgnore: (table, columns, rows) =>
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`,
  lockPartition: `SELECT next_seq FROM ${t.partitions} WHERE id = ? FOR UPDATE SKIP LOCKED`,
  lockCursor: `SELECT acked_seq, attempts, retry_at - ${now} AS retry_left
     FROM ${t.processors} WHERE partition_id = ? FOR UPDATE SKIP LOCKED`,
  lockSuffix: ' FOR UPDATE SKIP LOCKED',
  // READ COMMITTED reads what committed before the statement; under REPEATABLE READ the insert
  // itself fails with a serialization error (typed, retryable) when the key committed since.
  currentRead: '',
  existingTables: (n) =>
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_name IN (${Array(n).fill('?').join(', ')})`,
  upsert: (table, [key, ...rest]) =>
    `INSERT INTO ${table} (${[key, ...rest].join(', ')}) VALUES (${[key, ...rest].map(() => '?').join(', ')})
     ON CONFLICT (${key}) DO UPDATE SET ${rest.map((c) => `${c} = excluded.${c}`).join(', ')}`,
  // Every step works on what the statement itself deleted, so a row another sequencer moved after
  // this statement's snapshot is simply not counted; a partition whose picked rows vanished like that
  // reports picked > moved and is looked at again. Partitions whose processor here waits for them get
  // their first messages in the same statement, with the start of their delivery recorded; the other
  // processes' processors are told of the rest, since they could not take a partition held here.
  sequencePartitions: `WITH locked AS (
         SELECT id, next_seq FROM ${t.partitions} WHERE id = ANY(?::integer[]) ORDER BY id FOR UPDATE SKIP LOCKED),
       picked AS (
         SELECT i.id, l.id AS partition_id FROM locked l
         CROSS JOIN LATERAL (SELECT id FROM ${t.incoming} WHERE partition_id = l.id ORDER BY id LIMIT ?) i),
       moved AS (
         DELETE FROM ${t.incoming} i USING picked p WHERE i.id = p.id RETURNING i.*),
       numbered AS (
         SELECT m.*, l.next_seq + ROW_NUMBER() OVER (PARTITION BY m.partition_id ORDER BY m.id) - 1 AS seq
         FROM moved m JOIN locked l ON l.id = m.partition_id),
       inserted AS (
         INSERT INTO ${t.outgoing} (partition_id, seq, ${COLUMNS})
         SELECT partition_id, seq, ${COLUMNS} FROM numbered RETURNING partition_id, seq, ${COLUMNS}),
       counts AS (
         SELECT partition_id, COUNT(*) AS n FROM inserted GROUP BY partition_id),
       bumped AS (
         UPDATE ${t.partitions} p SET next_seq = p.next_seq + c.n FROM counts c WHERE p.id = c.partition_id
         RETURNING p.id, c.n),
       handed AS (
         SELECT i.* FROM inserted i
         JOIN locked l ON l.id = i.partition_id
         JOIN unnest(?::integer[], ?::bigint[], ?::integer[]) AS w(id, acked, size) ON w.id = i.partition_id
         WHERE l.next_seq = w.acked + 1 AND i.seq < l.next_seq + w.size),
       recorded AS (${recordFreshStarts(t, 'handed')})
     SELECT l.id, COALESCE(b.n, 0) AS moved,
       (SELECT COUNT(*) FROM picked p WHERE p.partition_id = l.id) AS picked,
       (SELECT pg_notify(?, CASE WHEN COUNT(*) > 1000 THEN 'p:*' ELSE 'p:' || string_agg(id::text, ',') END || '@' || ?)
        FROM bumped WHERE id NOT IN (SELECT partition_id FROM handed) HAVING COUNT(*) > 0) AS notified,
       h.seq, h.message_id, h.msg_key, h.payload, h.payload_kind, h.payload_type, h.headers, h.created_at
     FROM locked l LEFT JOIN bumped b ON b.id = l.id LEFT JOIN handed h ON h.partition_id = l.id`,
  ackLeasedMany: `UPDATE ${t.processors} p
       SET acked_seq = a.seq, attempts = 0, retry_at = NULL, last_error = NULL,
           lease_token = a.next_token, lease_expires_at = ${now} + a.lease_ms
       FROM unnest(?::integer[], ?::bigint[], ?::text[], ?::text[], ?::bigint[]) AS a(id, seq, token, next_token, lease_ms)
       WHERE p.partition_id = a.id AND p.lease_token = a.token
       RETURNING p.partition_id`,
  takeMessages: `WITH picked AS (
         SELECT partition_id, seq, ${COLUMNS} FROM ${t.outgoing}
         WHERE partition_id = ? AND seq > ? ORDER BY seq LIMIT ?),
       recorded AS (${recordFreshStarts(t, 'picked')})
     SELECT * FROM picked ORDER BY seq`,
});
