/**
 * Versioned schemas: the migrations a component (the outbox, a journal on a database) applies to
 * its tables, recorded in a versions table, applied under a lock so processes starting together
 * apply each once, and printable for people who run migrations with their own tools.
 */
import { DatabaseUnavailable, SchemaVersionMismatch } from '../errors.js';
import type { SqlExecutor } from './types.js';

/** One schema version: its statements, applied in order. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

/** A schema with its history, as one component keeps it under one name (a prefix or a schema name). */
export interface VersionedSchema {
  /** How messages name it: `outbox schema shop`. */
  readonly label: string;
  /** Its name where several are kept side by side (the outbox's table prefix). */
  readonly name: string;
  /** The table recording applied versions (`version`, `name`). */
  readonly versionsTable: string;
  /** Idempotent statements that create {@link versionsTable} (and what holds it) when missing. */
  readonly prelude: readonly string[];
  readonly migrations: readonly Migration[];
  /** The schema's other tables: any of them existing with no version recorded stops a migration. */
  readonly tables: readonly string[];
  /** A query naming which of `tables` exist (one `?` per table name, a `name` column). */
  existingTables(count: number): string;
  /** Where to see each version's statements, for messages: `Outbox.migrationSql('postgres')`. */
  readonly sqlHint: string;
}

/** How a schema's database is reached: queries, and a lock held for the length of `fn`. */
export interface MigrationTarget {
  readonly executor: SqlExecutor;
  withMigrationLock<T>(fn: (ex: SqlExecutor) => Promise<T>): Promise<T>;
}

/** The newest version the schema's history knows. */
export const latestVersion = (schema: VersionedSchema): number => schema.migrations.at(-1)?.version ?? 0;

/** The newest version recorded in the database (0 when none). */
export async function appliedVersion(ex: SqlExecutor, schema: VersionedSchema): Promise<number> {
  const { rows } = await ex.query(`SELECT MAX(version) AS v FROM ${schema.versionsTable}`);
  return Number(rows[0]?.v ?? 0);
}

/**
 * Brings the schema to the newest version under the target's lock and returns the versions applied;
 * `verify` only checks. A schema newer than this code is an error either way.
 */
export async function migrateSchema(
  target: MigrationTarget,
  schema: VersionedSchema,
  mode: 'auto' | 'verify',
): Promise<number[]> {
  const latest = latestVersion(schema);
  const tooNew = (found: number) =>
    new SchemaVersionMismatch(`${schema.label} is at version ${found}, newer than this code (${latest})`, {
      prefix: schema.name,
      found,
      expected: latest,
    });
  if (mode === 'verify') {
    // A missing versions table is version 0; a database that cannot answer at all is its own error.
    const found = await appliedVersion(target.executor, schema).catch(async (err) => {
      if (err instanceof DatabaseUnavailable) throw err; // asking again would only wait as long again
      await target.executor.query('SELECT 1').catch(() => Promise.reject(err));
      return 0;
    });
    if (found > latest) throw tooNew(found);
    if (found === 0)
      throw new SchemaVersionMismatch(
        `${schema.label} is not in this database (is the name right?); create it by running the migrations`,
        { prefix: schema.name, found, expected: latest },
      );
    if (found < latest)
      throw new SchemaVersionMismatch(
        `${schema.label} is at version ${found}, expected ${latest}; run the migrations`,
        { prefix: schema.name, found, expected: latest },
      );
    return [];
  }
  return target.withMigrationLock(async (ex) => {
    for (const statement of schema.prelude) await ex.query(statement);
    const found = await appliedVersion(ex, schema);
    if (found > latest) throw tooNew(found);
    if (found === 0) await refuseUnrecordedTables(ex, schema);
    const applied: number[] = [];
    for (const m of schema.migrations) {
      if (m.version <= found) continue;
      for (const statement of m.statements) await ex.query(statement);
      await ex.query(`INSERT INTO ${schema.versionsTable} (version, name) VALUES (?, ?)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}

/**
 * Tables of the schema that exist while no version is recorded (created by hand, or by a migration
 * that stopped half-way on a database without transactional DDL) cannot be migrated over.
 */
export async function refuseUnrecordedTables(ex: SqlExecutor, schema: VersionedSchema): Promise<void> {
  const { rows } = await ex.query(schema.existingTables(schema.tables.length), [...schema.tables]);
  if (rows.length === 0) return;
  const found = rows.map((r) => String(r.name)).sort();
  throw new SchemaVersionMismatch(
    `${schema.label}: tables ${found.join(', ')} exist, but ${schema.versionsTable} records no version ` +
      '(created by hand, or a migration stopped half-way). Drop them to start afresh, or record the ' +
      `version they are at (${schema.sqlHint} shows each version's statements)`,
    { prefix: schema.name, tables: found },
  );
}

/** The whole history as SQL, for review or for applying by hand. */
export function schemaSql(schema: VersionedSchema): string {
  const parts = schema.prelude.map((statement) => `${statement};`);
  for (const m of schema.migrations) {
    parts.push(`-- version ${m.version}: ${m.name}`);
    for (const s of m.statements) parts.push(`${s};`);
    parts.push(`INSERT INTO ${schema.versionsTable} (version, name) VALUES (${m.version}, '${m.name}');`);
  }
  return `${parts.join('\n')}\n`;
}
