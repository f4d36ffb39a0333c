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
