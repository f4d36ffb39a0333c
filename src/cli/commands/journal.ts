import type { Command } from 'commander';
import { InvalidArgument } from '../../errors.js';
import { type CopyEnd, copyJournal } from '../../journal/copy.js';
import { open } from '../../journal/index.js';
import { dialectOfUrl, redactUrl } from '../../sql/index.js';
import { isJournalDir, openJournalDir } from '../journal-dir.js';
import { openDatabaseJournal } from '../journal-source.js';

interface CopyOptions {
  fromSchema: string;
  toSchema: string;
}

/** A side of the copy, opened, with how to name it and close it. */
interface Side {
  readonly end: CopyEnd;
  readonly verify: () => Promise<{ ok: boolean }>;
  readonly name: string;
  close(): Promise<void>;
}

/** `causeway journal ...`: what concerns a journal as a whole (its reads are top-level commands). */
export function registerJournal(program: Command): void {
  const journal = program.command('journal').description('move a journal between a directory and PostgreSQL');
  journal
    .command('copy')
    .description(
      'copy a journal between a directory and PostgreSQL (either way), keeping every id, position and hash',
    )
    .argument('<from>', 'journal directory or postgres:// URL')
    .argument('<to>', 'journal directory or postgres:// URL (an empty journal; created when missing)')
    .option('--from-schema <name>', 'schema of the PostgreSQL journal copied', 'causeway_journal')
    .option('--to-schema <name>', 'schema of the PostgreSQL journal written', 'causeway_journal')
    .addHelpText(
      'after',
      `
Events are copied as they are kept: ids, positions, stream versions, timestamps, links, payloads
(not upcast), extensions and hashes. The chain is checked on the way, the copy is verified at the
end, and receipts issued before the move verify against the copy. Stop the writers of the journal
copied first; nothing may write to the copy until it is done.

Examples:
  $ causeway journal copy ./data/journal postgres://app@db/app --to-schema shop_journal
  $ causeway journal copy postgres://app@db/app ./restored --from-schema shop_journal`,
    )
    .action(async (from: string, to: string, opts: CopyOptions) => {
      const source = await openSide(from, opts.fromSchema, 'read');
      try {
        const target = await openSide(to, opts.toSchema, 'write');
        try {
          const { events } = await copyJournal(source.end, target.end);
          const verified = await target.verify();
          console.log(
            `copied ${events} events from ${source.name} to ${target.name}; verify: ${verified.ok ? 'ok' : 'BROKEN'}`,
          );
          if (!verified.ok) process.exitCode = 1;
        } finally {
          await target.close();
        }
      } finally {
        await source.close();
      }
    });
}

async function openSide(spec: string, schema: string, use: 'read' | 'write'): Promise<Side> {
  if (dialectOfUrl(spec) !== undefined) {
    const journal = await openDatabaseJournal(spec, schema, use === 'read' ? 'verify' : 'auto');
    return {
      end: journal,
      verify: () => journal.verify(),
      name: `${redactUrl(spec)} (schema ${schema})`,
      close: () => journal.close(),
    };
  }
  if (use === 'read') {
    const journal = openJournalDir(spec);
    return {
      end: journal,
      verify: async () => journal.verify(),
      name: spec,
      close: async () => journal.close(),
    };
  }
  if (isJournalDir(spec)) {
    const existing = openJournalDir(spec);
    const events = existing.stats().events;
    existing.close();
    if (events > 0)
      throw new InvalidArgument(`${spec} holds a journal already: a journal is copied into an empty one`);
  }
  const journal = open(spec);
  return {
    end: journal,
    verify: async () => journal.verify(),
    name: spec,
    close: async () => {
      journal.sync();
      journal.close();
    },
  };
}
