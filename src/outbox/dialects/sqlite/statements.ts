import type { DialectStatements, Tables } from '../dialect.js';

const now = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";

// SQLite has one writer: every outbox transaction begins IMMEDIATE, which is the lock.
export const statements = (t: Tables): DialectStatements => ({
  now,
  insertIgnore: (table, columns, rows) =>
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`,
  lockPartition: `SELECT next_seq FROM ${t.partitions} WHERE id = ?`,
  lockCursor: `SELECT acked_seq, attempts, retry_at - ${now} AS retry_left FROM ${t.processors} WHERE partition_id = ?`,
  lockSuffix: '',
  currentRead: '',
});
