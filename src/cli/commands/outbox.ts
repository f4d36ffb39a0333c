import type { Command } from 'commander';
import { InvalidArgument } from '../../errors.js';
import { type DeadLetterFilter, Outbox } from '../../outbox/index.js';
import { type DbOptions, databaseUrl, withDb } from '../database.js';
import { parseCount, parsePositive } from '../options.js';
import { humanMs, table, toJson } from '../output.js';
import { registerOutboxSchema } from './outbox-schema.js';

interface FilterOptions extends DbOptions {
  queue?: string;
  type?: string;
  partition?: number;
  id?: number[];
  olderThanMs?: number;
}

export function registerOutbox(program: Command): void {
  const outbox = program
    .command('outbox')
    .description('look at and operate an outbox: status, dead letters, redrive, purge, migrate, schema')
    .addHelpText(
      'after',
      `
Examples:
  $ causeway outbox migrate postgres://app@localhost/app
  $ causeway outbox schema postgres | psql "$DATABASE_URL"
  $ causeway outbox status --db sqlite:./app.db
  $ DATABASE_URL=mysql://root@localhost/app causeway outbox dead-letters --queue mail`,
    );

  withDb(
    outbox.command('status').description('depth, lag, oldest age, partitions and dead letters per queue'),
  )
    .option('--json', 'one JSON document')
    .action((opts: DbOptions & { json?: boolean }) =>
      withOutbox(opts, async (o) => {
        const stats = await o.stats();
        if (opts.json) return console.log(toJson(stats, 2));
        if (stats.length === 0) return console.log('no queues');
        console.log(
          table(
            ['queue', 'partitions', 'depth', 'pending', 'lag', 'oldest', 'retrying', 'dead letters'],
            stats.map((s) => [
              s.queue,
              s.partitions,
              s.depth,
              s.pending,
              s.lag,
              s.depth === 0 ? '-' : humanMs(s.oldestAgeMs),
              s.retryingPartitions,
              s.deadLetters,
            ]),
          ),
        );
      }),
    );

  withFilters(withDb(outbox.command('dead-letters').description('list dead letters, oldest first')))
    .option('--limit <n>', 'at most this many', parsePositive, 20)
    .option('--json', 'one JSON object per dead letter')
    .action((opts: FilterOptions & { limit: number; json?: boolean }) =>
      withOutbox(opts, async (o) => {
        const letters = await o.deadLetters.list({ ...filterOf(opts), limit: opts.limit });
        if (opts.json) {
          for (const d of letters) console.log(toJson(d));
          return;
        }
        if (letters.length === 0) return console.log('no dead letters');
        console.log(
          table(
            ['id', 'queue', 'partition', 'type', 'key', 'attempts', 'failed at', 'last error'],
            letters.map((d) => [
              d.deadLetterId,
              d.queue,
              d.partition,
              d.type,
              d.key ?? '',
              d.attempts,
              d.failedAt.toISOString(),
              (d.lastError ?? '').slice(0, 60),
            ]),
          ),
        );
      }),
    );

  withFilters(
    withDb(outbox.command('redrive').description('put dead letters back into their queue (or another)')),
  )
    .option('--to-queue <queue>', 'redrive into this queue instead')
    .option('--limit <n>', 'at most this many', parsePositive)
    .action((opts: FilterOptions & { toQueue?: string; limit?: number }) =>
      withOutbox(opts, async (o) => {
        const n = await o.deadLetters.redrive({
          ...filterOf(opts),
          toQueue: opts.toQueue,
          limit: opts.limit,
        });
        console.log(`redrove ${n} dead letter${n === 1 ? '' : 's'}`);
      }),
    );

  withFilters(withDb(outbox.command('purge').description('delete dead letters for good')))
    .option('--all', 'every dead letter (needed when no filter is given)')
    .action((opts: FilterOptions & { all?: boolean }) =>
      withOutbox(opts, async (o) => {
        const filter = filterOf(opts);
        if (!opts.all && Object.keys(filter).length === 0)
          throw new InvalidArgument('purge needs a filter (--queue, --type, --id, ...) or --all');
        const n = await o.deadLetters.purge(filter);
        console.log(`purged ${n} dead letter${n === 1 ? '' : 's'}`);
      }),
    );

  registerOutboxSchema(outbox);
}

function withFilters(command: Command): Command {
  return command
    .option('--queue <queue>', 'only this queue')
    .option('--type <type>', 'only this message type')
    .option('--partition <n>', 'only this partition', parseCount)
    .option('--id <id...>', 'only these dead letter ids', (v: string, prev: number[] = []) => [
      ...prev,
      parseCount(v),
    ])
    .option('--older-than-ms <ms>', 'only those that failed at least this long ago', parseCount);
}

function filterOf(o: FilterOptions): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  if (o.queue !== undefined) filter.queue = o.queue;
  if (o.type !== undefined) filter.type = o.type;
  if (o.partition !== undefined) filter.partition = o.partition;
  if (o.id !== undefined) filter.ids = o.id;
  if (o.olderThanMs !== undefined) filter.olderThanMs = o.olderThanMs;
  return filter;
}

/** Opens the outbox as a producer (no workers) without migrating, runs `fn`, and stops it. */
async function withOutbox(opts: DbOptions, fn: (outbox: Outbox) => Promise<void>): Promise<void> {
  const outbox = await Outbox.producer(databaseUrl(opts.db), { prefix: opts.prefix, migrate: 'verify' });
  try {
    await fn(outbox);
  } finally {
    await outbox.stop();
  }
}
