/**
 * `causeway metrics`: the Prometheus metrics of a journal directory, or of the journal and outbox in
 * a database, printed once in the text exposition format (what `prometheusMetrics` serves).
 */
import type { Command } from 'commander';
import { InvalidArgument, SchemaVersionMismatch } from '../../errors.js';
import { Outbox } from '../../outbox/index.js';
import { dialectOfUrl, redactUrl } from '../../sql/index.js';
import { type NamedMetricsJournal, prometheusMetrics, requirePromClient } from '../../telemetry/metrics.js';
import { DATABASE_SYNTAX } from '../database.js';
import { openJournalDir } from '../journal-dir.js';
import { openDatabaseJournal } from '../journal-source.js';

interface MetricsOptions {
  db?: string;
  schema: string;
  prefix: string;
}

/** What the command reports, and how to close it. */
interface Opened {
  journal?: NamedMetricsJournal;
  outbox?: Outbox;
  closers: (() => Promise<void> | void)[];
}

export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description(
      'print the Prometheus metrics of a journal directory, or of the journal and outbox in a database',
    )
    .argument('[dir]', 'journal directory (or give --db)')
    .option('--db <url>', `a journal directory, or a database (${DATABASE_SYNTAX}); default $DATABASE_URL`)
    .option('--schema <name>', 'the PostgreSQL schema of the journal', 'causeway_journal')
    .option('--prefix <prefix>', 'outbox table prefix', 'outbox')
    .addHelpText(
      'after',
      `
A directory is opened read-only (beside its writer): journal position, watermarks, events, streams
and the lag of each consumer checkpoint. A PostgreSQL database gives its journal (when the schema
exists) and its outbox (when its tables exist); MySQL/MariaDB and SQLite give the outbox. Nothing is
migrated and no outbox worker is started; the outbox counters of a process (delivered, retries, handler
durations) are this command's own, so zero: scrape the application for those.

Examples:
  $ causeway metrics ./data/journal
  $ causeway metrics --db postgres://app@localhost/app
  $ causeway metrics --db sqlite:./app.db --prefix outbox`,
    )
    .action(async (dir: string | undefined, opts: MetricsOptions) => {
      if (dir !== undefined && opts.db !== undefined)
        throw new InvalidArgument('give a journal directory or --db, not both');
      const target = dir ?? opts.db ?? process.env.DATABASE_URL;
      if (!target)
        throw new InvalidArgument('give a journal directory, or a database with --db <url> or DATABASE_URL');
      requirePromClient(); // a missing prom-client is said before any database is opened
      const opened: Opened = { closers: [] };
      try {
        await openTarget(target, opts, opened);
        const metrics = prometheusMetrics({ journal: opened.journal, outbox: opened.outbox });
        process.stdout.write(await metrics.metrics());
      } finally {
        for (const close of opened.closers.reverse()) await close();
      }
    });
}

/** Opens what `target` names into `opened` (closers recorded as each opens). */
async function openTarget(target: string, opts: MetricsOptions, opened: Opened): Promise<void> {
  const dialect = dialectOfUrl(target);
  if (dialect === undefined) {
    if (/^[a-z][a-z0-9+.-]+:\/\//i.test(target))
      throw new InvalidArgument(
        `not a journal directory or a database URL (${DATABASE_SYNTAX}): ${JSON.stringify(redactUrl(target))}`,
      );
    const journal = openJournalDir(target);
    opened.closers.push(() => journal.close());
    opened.journal = { journal };
    return;
  }
  const where = redactUrl(target);
  if (dialect === 'postgres') {
    const journal = await ifPresent(() => openDatabaseJournal(target, opts.schema, 'verify'));
    if (journal) {
      opened.closers.push(() => journal.close());
      opened.journal = { journal };
    }
  }
  const outbox = await ifPresent(() => Outbox.producer(target, { prefix: opts.prefix, migrate: 'verify' }));
  if (outbox) {
    opened.closers.push(() => outbox.stop());
    opened.outbox = outbox;
  }
  if (opened.journal || opened.outbox) return;
  throw new InvalidArgument(
    dialect === 'postgres'
      ? `nothing of Causeway's in ${where}: no journal in schema ${opts.schema} (--schema) and no outbox tables with prefix ${opts.prefix} (--prefix)`
      : `nothing of Causeway's in ${where}: no outbox tables with prefix ${opts.prefix} (--prefix)`,
    { database: where, schema: opts.schema, prefix: opts.prefix },
  );
}

/** What `open` opens, or null when its schema is not in the database at all (version 0). */
async function ifPresent<T>(open: () => Promise<T>): Promise<T | null> {
  try {
    return await open();
  } catch (err) {
    if (err instanceof SchemaVersionMismatch && err.details.found === 0) return null;
    throw err;
  }
}
