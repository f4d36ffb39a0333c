import type { Command } from 'commander';
import { InvalidArgument } from '../errors.js';

/** How a database is written on the command line, for help texts. */
export const DATABASE_SYNTAX = 'postgres://..., mysql://... or mariadb://..., sqlite:<file>';

/** Adds `--db` (default `$DATABASE_URL`) and `--prefix` to an outbox command. */
export function withDb(command: Command): Command {
  return command
    .option('--db <url>', `database URL (${DATABASE_SYNTAX}); default $DATABASE_URL`)
    .option('--prefix <prefix>', 'table prefix', 'outbox');
}

/**
 * The database URL: the one given (an argument or an option, named by `how` in the error), else
 * `$DATABASE_URL`; an `InvalidArgument` when there is neither.
 */
export function databaseUrl(given: string | undefined, how = '--db <url>'): string {
  const url = given ?? process.env.DATABASE_URL;
  if (!url) throw new InvalidArgument(`give the database with ${how} or DATABASE_URL`);
  return url;
}

/** The options {@link withDb} adds. */
export interface DbOptions {
  db?: string;
  prefix: string;
}
