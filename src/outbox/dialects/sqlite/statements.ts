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
  existingTables: (n) =>
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${Array(n).fill('?').join(', ')})`,
  upsert: (table, [key, ...rest]) =>
    `INSERT INTO ${table} (${[key, ...rest].join(', ')}) VALUES (${[key, ...rest].map(() => '?').join(', ')})
     ON CONFLICT (${key}) DO UPDATE SET ${rest.map((c) => `${c} = excluded.${c}`).join(', ')}`,
});
