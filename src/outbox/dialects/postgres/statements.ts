import type { DialectStatements, Tables } from '../dialect.js';

const now = '(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint';

export const statements = (t: Tables): DialectStatements => ({
  now,
  insertIgnore: (table, columns, rows) =>
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`,
  lockPartition: `SELECT next_seq FROM ${t.partitions} WHERE id = ? FOR UPDATE SKIP LOCKED`,
  lockCursor: `SELECT acked_seq, attempts, retry_at - ${now} AS retry_left
     FROM ${t.processors} WHERE partition_id = ? FOR UPDATE SKIP LOCKED`,
  lockSuffix: ' FOR UPDATE SKIP LOCKED',
});
