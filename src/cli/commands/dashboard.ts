/**
 * `causeway dashboard`: serves the dashboard page for an outbox database, a journal, or both, until
 * interrupted. Actions (redrive, discard, purge) go through the same library calls as
 * `causeway outbox`, and each is logged on stderr.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgument } from '../../errors.js';
import { Outbox } from '../../outbox/index.js';
import { dialectOfUrl, redactUrl } from '../../sql/index.js';
import { startDashboardServer } from '../dashboard/server.js';
import { DATABASE_SYNTAX } from '../database.js';
import { openJournalSource } from '../journal-source.js';
import { parsePort } from '../options.js';
import { stderrLogger } from '../stderr-logger.js';

interface DashboardOptions {
  db?: string;
  prefix: string;
  journal?: string;
  schema: string;
  host: string;
  port: number;
  readOnly?: boolean;
  receiptKey: string[];
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description(
      'serve a web page showing an outbox and a journal: queues, dead letters, events, causal graphs',
    )
    .option('--db <url>', `the outbox's database (${DATABASE_SYNTAX}); default $DATABASE_URL`)
    .option('--prefix <prefix>', 'outbox table prefix', 'outbox')
    .option('--journal <dir|url>', 'a journal directory, or a PostgreSQL database holding a journal')
    .option('--schema <name>', 'the PostgreSQL schema of the journal', 'causeway_journal')
    .option(
      '--receipt-key <file>',
      "an Ed25519 key (PEM) to sign and check receipts with; repeat for a journal's older keys",
      (file: string, files: string[]) => [...files, file],
      [] as string[],
    )
    .option('--host <address>', 'the address to listen on', '127.0.0.1')
    .option('--port <n>', 'the port to listen on (0: a free one)', parsePort, 0)
    .option('--read-only', 'show only: no redrive, discard or purge')
    .addHelpText(
      'after',
      `
The URL printed at start carries a token; every request needs it (the page keeps it in a cookie).
Nothing is migrated and no outbox worker runs here: redriven messages are delivered by the
application's running outbox. A journal directory is opened read-only, beside its writer.

Examples:
  $ causeway dashboard --db sqlite:./causeway-demo/outbox.db --journal ./causeway-demo/journal \\
      --receipt-key ./causeway-demo/receipt-key.pem
  $ causeway dashboard --db postgres://app@localhost/app --journal postgres://app@localhost/app --read-only`,
    )
    .action(async (opts: DashboardOptions) => {
      const outboxUrl = opts.db ?? (opts.journal === undefined ? process.env.DATABASE_URL : undefined);
      if (outboxUrl === undefined && opts.journal === undefined)
        throw new InvalidArgument(
          'give an outbox database with --db <url> (or DATABASE_URL), a --journal, or both',
        );
      if (outboxUrl !== undefined && dialectOfUrl(outboxUrl) === undefined)
        throw new InvalidArgument(
          `--db takes a database URL (${DATABASE_SYNTAX}), not ${JSON.stringify(redactUrl(outboxUrl))}`,
        );
      const receiptKeys = opts.receiptKey.map(readKeyFile);
      const logger = stderrLogger();
      const closers: (() => Promise<void> | void)[] = [];
      try {
        const outbox =
          outboxUrl === undefined
            ? undefined
            : await Outbox.producer(outboxUrl, { prefix: opts.prefix, migrate: 'verify', logger });
        if (outbox) closers.push(() => outbox.stop());
        const source =
          opts.journal === undefined ? undefined : await openJournal(opts.journal, opts.schema, receiptKeys);
        if (source) closers.push(() => source.close());
        const server = await startDashboardServer(
          {
            outbox,
            journal: source?.journal,
            catchUp: source?.embedded ? () => source.embedded?.catchUp() : undefined,
            readOnly: opts.readOnly === true,
          },
          { host: opts.host, port: opts.port, logger },
        );
        closers.push(() => server.close());
        console.log(`Causeway dashboard: ${server.url}`);
        console.log(`token: ${server.token}`);
        const stop = new AbortController();
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
        await new Promise((resolve) => stop.signal.addEventListener('abort', resolve));
      } finally {
        for (const close of closers.reverse()) await close();
      }
    });
}

/** A journal directory, or a PostgreSQL URL holding a journal. */
function openJournal(target: string, schema: string, receiptKeys: string[]) {
  const keys = receiptKeys.length > 0 ? receiptKeys : undefined;
  return dialectOfUrl(target) === undefined
    ? openJournalSource(target, { schema, receiptKeys: keys })
    : openJournalSource(undefined, { db: target, schema, receiptKeys: keys });
}

function readKeyFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidArgument(`--receipt-key: cannot read ${file}: ${(err as Error).message}`, { file });
  }
}
