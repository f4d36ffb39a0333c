import type { DialectStatements, Tables } from '../dialect.js';

const COLUMNS = 'message_id, msg_key, payload, payload_kind, payload_type, headers, created_at';

const now = '(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint';

export const statements = (t: Tables): DialectStatements => ({
  now,
  insertIgnore: (table, columns, rows) =>
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`,
  lockPartition: `SELECT next_seq FROM ${t.partitions} WHERE id = ? FOR UPDATE SKIP LOCKED`,
  lockCursor: `SELECT acked_seq, attempts, retry_at - ${now} AS retry_left
     FROM ${t.processors} WHERE partition_id = ? FOR UPDATE SKIP LOCKED`,
  lockSuffix: ' FOR UPDATE SKIP LOCKED',
  moveIncoming: `WITH picked AS (SELECT id FROM ${t.incoming} WHERE partition_id = ? ORDER BY id LIMIT ?),
       moved AS (DELETE FROM ${t.incoming} i USING picked p WHERE i.id = p.id RETURNING i.*)
     INSERT INTO ${t.outgoing} (partition_id, seq, ${COLUMNS})
     SELECT partition_id, ? + ROW_NUMBER() OVER (ORDER BY id) - 1, ${COLUMNS} FROM moved`,
});
