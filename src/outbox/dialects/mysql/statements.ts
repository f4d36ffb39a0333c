import type { DialectStatements, Tables } from '../dialect.js';

const now = 'CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)';

export const statements = (t: Tables): DialectStatements => ({
  now,
  // Only a duplicate key is skipped (INSERT IGNORE would also hide data errors).
  insertIgnore: (table, columns, rows) =>
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${rows.join(', ')}
     ON DUPLICATE KEY UPDATE ${columns[0]} = ${columns[0]}`,
  lockPartition: `SELECT next_seq FROM ${t.partitions} WHERE id = ? FOR UPDATE SKIP LOCKED`,
  lockCursor: `SELECT acked_seq, attempts, retry_at - ${now} AS retry_left
     FROM ${t.processors} WHERE partition_id = ? FOR UPDATE SKIP LOCKED`,
  lockSuffix: ' FOR UPDATE SKIP LOCKED',
  // A locking read sees the newest committed row whatever the isolation level; the insert holds
  // that row's lock already.
  currentRead: ' FOR UPDATE',
  existingTables: (n) =>
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = DATABASE() AND table_name IN (${Array(n).fill('?').join(', ')})`,
  upsert: (table, [key, ...rest]) =>
    `INSERT INTO ${table} (${[key, ...rest].join(', ')}) VALUES (${[key, ...rest].map(() => '?').join(', ')})
     ON DUPLICATE KEY UPDATE ${rest.map((c) => `${c} = VALUES(${c})`).join(', ')}`,
});
