import { SchemaVersionMismatch } from '../errors.js';
import {
  migrateSchema,
  latestVersion as newestVersion,
  refuseUnrecordedTables as refuseUnrecorded,
  type SqlExecutor,
  schemaSql,
  type VersionedSchema,
} from '../sql/index.js';
import type { Dialect, OutboxConnection, Tables } from './dialects/dialect.js';
import { tablesFor } from './dialects/dialect.js';
import { checkPrefix } from './names.js';

/** The outbox's tables under `prefix` as a versioned schema of `dialect`. */
function outboxSchema(dialect: Dialect, t: Tables, prefix: string): VersionedSchema {
  const statements = dialect.statements(t);
  return {
    label: `outbox schema ${prefix}`,
    name: prefix,
    versionsTable: t.migrations,
    prelude: [dialect.migrationsTable(t)],
    migrations: dialect.migrations(t),
    tables: Object.entries(t)
      .filter(([role]) => role !== 'migrations')
      .map(([, name]) => name),
    existingTables: (count) => statements.existingTables(count),
    sqlHint: `Outbox.migrationSql('${dialect.name}', '${prefix}')`,
  };
}

/** The newest schema version this code knows for a dialect. */
export const latestVersion = (dialect: Dialect, t: Tables): number =>
  newestVersion(outboxSchema(dialect, t, 'outbox'));

/**
 * Brings the schema to the newest version under a lock, so processes starting together apply each
 * migration once. `verify` only checks. A schema newer than this code is an error either way.
 */
export function migrate(
  conn: OutboxConnection,
  dialect: Dialect,
  prefix: string,
  mode: 'auto' | 'verify',
): Promise<number[]> {
  const target = {
    executor: conn.executor,
    withMigrationLock: <T>(fn: (ex: SqlExecutor) => Promise<T>) =>
      dialect.withMigrationLock(conn, `causeway_outbox_${prefix}`, fn),
  };
  return migrateSchema(target, outboxSchema(dialect, tablesFor(prefix), prefix), mode);
}

/**
 * Outbox tables that exist while no version is recorded (created by hand, or by a migration that
 * stopped half-way on a database without transactional DDL) cannot be migrated over.
 */
export function refuseUnrecordedTables(
  ex: SqlExecutor,
  dialect: Dialect,
  t: Tables,
  prefix: string,
): Promise<void> {
  return refuseUnrecorded(ex, outboxSchema(dialect, t, prefix));
}

/**
 * Reads every column the outbox's statements use from each of its tables, so a schema changed by
 * hand is reported at start, in one error, rather than as failing workers later.
 */
export async function checkColumns(ex: SqlExecutor, t: Tables, prefix: string): Promise<void> {
  const problems: string[] = [];
  for (const [role, columns] of Object.entries(COLUMNS)) {
    const table = t[role as keyof typeof COLUMNS];
    try {
      await ex.query(`SELECT ${columns.join(', ')} FROM ${table} WHERE 1 = 0`);
    } catch (e) {
      problems.push(`${table}: ${(e as { cause?: Error }).cause?.message ?? (e as Error).message}`);
    }
  }
  if (problems.length > 0)
    throw new SchemaVersionMismatch(
      `outbox schema ${prefix} does not have what this code uses (changed by hand?): ${problems.join('; ')}`,
      { prefix, problems },
    );
}

/** A message's columns, in every table that holds messages. */
const MESSAGE = ['message_id', 'msg_key', 'payload', 'payload_kind', 'payload_type', 'headers', 'created_at'];

/** The columns the outbox's statements use, per table. */
const COLUMNS: Record<Exclude<keyof Tables, 'migrations'>, string[]> = {
  queues: ['name', 'partitions'],
  partitions: ['id', 'queue', 'part', 'next_seq'],
  incoming: ['id', 'partition_id', ...MESSAGE],
  outgoing: ['partition_id', 'seq', ...MESSAGE],
  processors: [
    'partition_id',
    'acked_seq',
    'lease_owner',
    'lease_token',
    'lease_expires_at',
    'attempts',
    'retry_at',
    'last_error',
  ],
  vacuum: ['partition_id', 'vacuumed_seq'],
  deadLetters: ['id', 'queue', 'part', 'seq', ...MESSAGE, 'failed_at', 'attempts', 'last_error'],
  dedupe: ['queue', 'dedupe_key', 'message_id', 'created_at'],
  starts: ['partition_id', 'seq', 'started', 'until_seq'],
};

/** The whole schema as SQL, for review or for applying by hand. */
export function migrationSql(dialect: Dialect, prefix = 'outbox'): string {
  return schemaSql(outboxSchema(dialect, tablesFor(checkPrefix(prefix)), prefix));
}
