/**
 * Where a journal command reads: a journal directory (opened read-only, safe beside its writer) or
 * a journal in PostgreSQL (`--db`, else `$DATABASE_URL`), both through the contract they share.
 */
import type { Command } from 'commander';
import { InvalidArgument } from '../errors.js';
import type { AsyncJournal, Journal } from '../journal/index.js';
import { openPostgresJournal, type PostgresJournal } from '../journal/index.js';
import { dialectOfUrl, redactUrl } from '../sql/index.js';
import { openJournalDir } from './journal-dir.js';

/** The options {@link withJournalSource} adds. */
export interface JournalSourceOptions {
  db?: string;
  schema: string;
  /** Ed25519 keys (PEM) that sign and check the receipts this command derives. */
  receiptKeys?: readonly string[];
}

/** The journal as both backends offer it to a command (consumers aside). */
export type SourceJournal = Omit<AsyncJournal, 'cursorWorker' | 'reactor' | 'project'>;

export interface JournalSource {
  readonly journal: SourceJournal;
  /** The embedded journal, when the source is a directory. */
  readonly embedded: Journal | null;
  /** The source as output names it: the directory, or the database (password hidden) and schema. */
  readonly label: Record<string, string>;
  close(): Promise<void>;
}

/** Adds the optional `[dir]` argument, `--db` and `--schema` to a journal command. */
export function withJournalSource(command: Command): Command {
  return command
    .argument('[dir]', 'journal directory (or give --db)')
    .option(
      '--db <url>',
      'a journal in PostgreSQL (postgres://...) instead of a directory; default $DATABASE_URL',
    )
    .option('--schema <name>', 'the PostgreSQL schema of the journal', 'causeway_journal');
}

/** Opens what `dir` or the options name; the schema of a database journal must exist and be current. */
export async function openJournalSource(
  dir: string | undefined,
  opts: JournalSourceOptions,
): Promise<JournalSource> {
  if (dir !== undefined && opts.db !== undefined)
    throw new InvalidArgument('give a journal directory or --db <url>, not both');
  if (dir !== undefined) {
    const embedded = openJournalDir(dir, opts.receiptKeys);
    return { journal: embedded.async, embedded, label: { dir }, close: async () => embedded.close() };
  }
  const url = opts.db ?? process.env.DATABASE_URL;
  if (!url)
    throw new InvalidArgument('give a journal directory, or a database with --db <url> or DATABASE_URL');
  const journal = await openDatabaseJournal(url, opts.schema, 'verify', opts.receiptKeys);
  return {
    journal,
    embedded: null,
    label: { database: redactUrl(url), schema: opts.schema },
    close: () => journal.close(),
  };
}

/**
 * The journal in the database at `url`, which must be PostgreSQL: a journal is kept in a directory
 * or there. `verify` needs its schema to exist and be current; `auto` creates or updates it.
 */
export function openDatabaseJournal(
  url: string,
  schema: string,
  migrate: 'auto' | 'verify',
  receiptKeys?: readonly string[],
): Promise<PostgresJournal> {
  if (dialectOfUrl(url) !== 'postgres')
    throw new InvalidArgument(
      `a journal is kept in a directory or in PostgreSQL, not in ${JSON.stringify(redactUrl(url))}`,
    );
  return openPostgresJournal(url, { schema, migrate, receiptKeys });
}
