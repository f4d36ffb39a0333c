/**
 * The outbox schema as an operator sees it: apply the migrations on demand, or say where a database
 * stands, without starting an outbox. Both go through the same migration code as `Outbox.start`.
 */
import { SchemaVersionMismatch } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { SqlDialect } from '../sql/index.js';
import { connect, type OutboxDatabase } from './connect.js';
import { tablesFor } from './dialects/dialect.js';
import { checkColumns, latestVersion, migrate, refuseUnrecordedTables } from './migrations.js';
import { checkPrefix } from './names.js';

/** Options of {@link applyMigrations} and {@link checkDatabase}. */
export interface SchemaAdminOptions {
  /** Table-name prefix; `outbox` unless given. */
  readonly prefix?: string;
  readonly logger?: Logger;
}

/** What {@link applyMigrations} did. */
export interface AppliedMigrations {
  readonly dialect: SqlDialect;
  readonly prefix: string;
  /** The migrations this call applied, oldest first; empty when the schema was current. */
  readonly applied: readonly { readonly version: number; readonly name: string }[];
  /** The schema version the database is at now. */
  readonly version: number;
}

/**
 * Brings the outbox schema of `database` to the newest version, as `Outbox.start` does (under the
 * migration lock, so it is safe beside starting processes and safe to repeat), then checks that every
 * column the outbox uses is there. Creates an SQLite file that does not exist yet.
 */
export async function applyMigrations(
  database: OutboxDatabase,
  options: SchemaAdminOptions = {},
): Promise<AppliedMigrations> {
  const prefix = checkPrefix(options.prefix ?? 'outbox');
  const { dialect, connection } = connect(database, options.logger ?? silentLogger);
  try {
    const t = tablesFor(prefix);
    const versions = await migrate(connection, dialect, prefix, 'auto');
    await checkColumns(connection.executor, t, prefix);
    const names = new Map(dialect.migrations(t).map((m) => [m.version, m.name]));
    return {
      dialect: dialect.name,
      prefix,
      applied: versions.map((version) => ({ version, name: names.get(version) ?? '' })),
      version: latestVersion(dialect, t),
    };
  } finally {
    await connection.close().catch(() => {});
  }
}

/**
 * Where an outbox schema stands against this code: `current`; `missing` (no version recorded, no
 * outbox tables); `older` (migrations to apply); `newer` (written by a newer Causeway);
 * `inconsistent` (tables with no recorded version, or columns the outbox uses are missing).
 */
export type SchemaState = 'current' | 'missing' | 'older' | 'newer' | 'inconsistent';

/** The schema part of {@link DatabaseCheck}. */
export interface SchemaStatus {
  readonly state: SchemaState;
  /** The recorded version, when one could be read. */
  readonly found: number | null;
  /** The version this code expects. */
  readonly expected: number;
  /** What the schema check said, for people (empty when current). */
  readonly message: string;
}

/** What {@link checkDatabase} found. */
export interface DatabaseCheck {
  readonly dialect: SqlDialect;
  /** How long `SELECT 1` took, connecting included. */
  readonly answeredInMs: number;
  /** The schema, or the error that kept it from being read (the database answered, then refused). */
  readonly schema: SchemaStatus | { readonly state: 'unreadable'; readonly error: unknown };
}

/**
 * Connects to `database` without changing anything (an SQLite file that does not exist is an
 * `InvalidArgument`, not created), asks it `SELECT 1`, then compares its outbox schema with this
 * code's using the checks `Outbox.start` runs with `migrate: 'verify'`. Throws when the database
 * cannot be reached (`DatabaseUnavailable`, `DriverMissing`, ...).
 */
export async function checkDatabase(
  database: OutboxDatabase,
  options: SchemaAdminOptions = {},
): Promise<DatabaseCheck> {
  const prefix = checkPrefix(options.prefix ?? 'outbox');
  const { dialect, connection } = connect(database, options.logger ?? silentLogger, true);
  try {
    const started = performance.now();
    await connection.executor.query('SELECT 1');
    const answeredInMs = performance.now() - started;
    const t = tablesFor(prefix);
    const expected = latestVersion(dialect, t);
    let schema: DatabaseCheck['schema'];
    try {
      await migrate(connection, dialect, prefix, 'verify');
      await checkColumns(connection.executor, t, prefix);
      schema = { state: 'current', found: expected, expected, message: '' };
    } catch (err) {
      if (!(err instanceof SchemaVersionMismatch)) schema = { state: 'unreadable', error: err };
      else if (err.details.found === 0) {
        // Version 0 with outbox tables present is what `migrate` refuses to build over: say so now.
        const unrecorded = await refuseUnrecordedTables(connection.executor, dialect, t, prefix).then(
          () => null,
          (e: unknown) => e,
        );
        if (unrecorded === null) schema = { state: 'missing', found: 0, expected, message: err.message };
        else if (unrecorded instanceof SchemaVersionMismatch)
          schema = { state: 'inconsistent', found: 0, expected, message: unrecorded.message };
        else schema = { state: 'unreadable', error: unrecorded };
      } else schema = statusOf(err, expected);
    }
    return { dialect: dialect.name, answeredInMs, schema };
  } finally {
    await connection.close().catch(() => {});
  }
}

function statusOf(err: SchemaVersionMismatch, expected: number): SchemaStatus {
  const found = typeof err.details.found === 'number' ? err.details.found : null;
  const state = found === null ? 'inconsistent' : found > expected ? 'newer' : 'older';
  return { state, found, expected, message: err.message };
}
