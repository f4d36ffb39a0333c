import type { Command } from 'commander';
import { InvalidArgument } from '../../errors.js';
import { Outbox } from '../../outbox/index.js';
import { applyMigrations } from '../../outbox/schema-admin.js';
import type { SqlDialect } from '../../sql/index.js';
import { dialectOfUrl, redactUrl } from '../../sql/index.js';
import { DATABASE_SYNTAX, type DbOptions, databaseUrl, withDb } from '../database.js';

/** Dialect names `outbox schema` takes, with the spellings people use for them. */
const DIALECT_NAMES: Record<string, SqlDialect> = {
  postgres: 'postgres',
  postgresql: 'postgres',
  pg: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  sqlite: 'sqlite',
};

/** `causeway outbox migrate` and `causeway outbox schema`, under the `outbox` command. */
export function registerOutboxSchema(outbox: Command): void {
  withDb(outbox.command('migrate').description('apply the outbox schema migrations (safe to run again)'))
    .argument('[database]', `database URL (${DATABASE_SYNTAX}); default --db or $DATABASE_URL`)
    .addHelpText(
      'after',
      `
Prints one line per migration applied, or that the schema is already current. Safe beside running
outboxes (migrations take a lock) and safe to repeat. An SQLite file that does not exist is created.

Examples:
  $ causeway outbox migrate postgres://app@localhost/app
  $ causeway outbox migrate mariadb://root@localhost/app --prefix billing_outbox
  $ DATABASE_URL=sqlite:./app.db causeway outbox migrate`,
    )
    .action(async (database: string | undefined, opts: DbOptions) => {
      if (database !== undefined && opts.db !== undefined && database !== opts.db)
        throw new InvalidArgument('give the database once: as the argument or with --db, not both');
      const url = databaseUrl(database ?? opts.db, 'an argument, --db <url>');
      const result = await applyMigrations(url, { prefix: opts.prefix });
      for (const m of result.applied) console.log(`applied version ${m.version}: ${m.name}`);
      if (result.applied.length === 0)
        console.log(
          `already current: outbox schema ${result.prefix} on ${result.dialect} is at version ${result.version}`,
        );
    });

  outbox
    .command('schema')
    .description('print the outbox schema migrations as SQL, to apply with your own migration tool')
    .argument('[dialect|database]', `postgres, mysql or sqlite, or a database URL; default $DATABASE_URL`)
    .option('--prefix <prefix>', 'table prefix', 'outbox')
    .addHelpText(
      'after',
      `
Prints only SQL, so it can be piped into psql, mysql or sqlite3. It creates the version table and
records each version in it, so the outbox started with migrate: 'verify' accepts the result.

Examples:
  $ causeway outbox schema postgres | psql "$DATABASE_URL"
  $ causeway outbox schema mysql > migrations/V1__outbox.sql
  $ causeway outbox schema sqlite:./app.db | sqlite3 ./app.db`,
    )
    .action((target: string | undefined, opts: { prefix: string }) => {
      const given = target ?? process.env.DATABASE_URL;
      if (!given)
        throw new InvalidArgument(
          'give a dialect (postgres, mysql, sqlite) or a database URL, or set DATABASE_URL',
        );
      const dialect = DIALECT_NAMES[given.toLowerCase()] ?? dialectOfUrl(given);
      if (dialect === undefined)
        throw new InvalidArgument(
          `${JSON.stringify(redactUrl(given))} is neither a dialect (postgres, mysql, sqlite) nor a database URL (${DATABASE_SYNTAX})`,
        );
      process.stdout.write(Outbox.migrationSql(dialect, opts.prefix));
    });
}
