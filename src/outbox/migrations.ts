import { SchemaVersionMismatch } from '../errors.js';
import type { SqlExecutor } from '../sql/index.js';
import type { Dialect, OutboxConnection, Tables } from './dialects/dialect.js';
import { tablesFor } from './dialects/dialect.js';
import { checkPrefix } from './names.js';

/** The newest schema version this code knows for a dialect. */
export const latestVersion = (dialect: Dialect, t: Tables): number =>
  dialect.migrations(t).at(-1)?.version ?? 0;

async function appliedVersion(ex: SqlExecutor, t: Tables): Promise<number> {
  const { rows } = await ex.query(`SELECT MAX(version) AS v FROM ${t.migrations}`);
  return Number(rows[0]?.v ?? 0);
}

/**
 * Brings the schema to the newest version under a lock, so processes starting together apply each
 * migration once. `verify` only checks. A schema newer than this code is an error either way.
 */
export async function migrate(
  conn: OutboxConnection,
  dialect: Dialect,
  prefix: string,
  mode: 'auto' | 'verify',
): Promise<number[]> {
  const t = tablesFor(prefix);
  const latest = latestVersion(dialect, t);
  const tooNew = (found: number) =>
    new SchemaVersionMismatch(
      `outbox schema ${prefix} is at version ${found}, newer than this code (${latest})`,
      {
        prefix,
        found,
        expected: latest,
      },
    );
  if (mode === 'verify') {
    // A missing migrations table is version 0; a database that cannot answer at all is its own error.
    const found = await appliedVersion(conn.executor, t).catch(async (err) => {
      await conn.executor.query('SELECT 1').catch(() => Promise.reject(err));
      return 0;
    });
    if (found > latest) throw tooNew(found);
    if (found < latest)
      throw new SchemaVersionMismatch(
        `outbox schema ${prefix} is at version ${found}, expected ${latest}; run the migrations`,
        { prefix, found, expected: latest },
      );
    return [];
  }
  return dialect.withMigrationLock(conn, `causeway_outbox_${prefix}`, async (ex) => {
    await ex.query(dialect.migrationsTable(t));
    const found = await appliedVersion(ex, t);
    if (found > latest) throw tooNew(found);
    if (found === 0) await refuseUnrecordedTables(ex, dialect, t, prefix);
    const applied: number[] = [];
    for (const m of dialect.migrations(t)) {
      if (m.version <= found) continue;
      for (const statement of m.statements) await ex.query(statement);
      await ex.query(`INSERT INTO ${t.migrations} (version, name) VALUES (?, ?)`, [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/**
 * Tables of the outbox that exist while no version is recorded (created by hand, or by a migration
 * that stopped half-way on a database without transactional DDL) cannot be migrated over.
 */
export async function refuseUnrecordedTables(
  ex: SqlExecutor,
  dialect: Dialect,
  t: Tables,
  prefix: string,
): Promise<void> {
  const names = Object.entries(t)
    .filter(([role]) => role !== 'migrations')
    .map(([, name]) => name);
  const { rows } = await ex.query(dialect.statements(t).existingTables(names.length), names);
  if (rows.length === 0) return;
  const found = rows.map((r) => String(r.name)).sort();
  throw new SchemaVersionMismatch(
    `outbox tables ${found.join(', ')} exist, but ${t.migrations} records no version (created by hand, or a ` +
      'migration stopped half-way). Drop them to start afresh, or record the version they are at ' +
      `(Outbox.migrationSql('${dialect.name}', '${prefix}') shows each version's statements)`,
    { prefix, tables: found },
  );
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
  const t = tablesFor(checkPrefix(prefix));
  const parts = [`${dialect.migrationsTable(t)};`];
  for (const m of dialect.migrations(t)) {
    parts.push(`-- version ${m.version}: ${m.name}`);
    for (const s of m.statements) parts.push(`${s};`);
    parts.push(`INSERT INTO ${t.migrations} (version, name) VALUES (${m.version}, '${m.name}');`);
  }
  return `${parts.join('\n')}\n`;
}
