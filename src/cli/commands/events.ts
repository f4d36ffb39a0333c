import type { Command } from 'commander';
import { InvalidArgument } from '../../errors.js';
import type { EffectTree, StoredEvent } from '../../journal/index.js';
import { type JournalSourceOptions, openJournalSource, withJournalSource } from '../journal-source.js';
import { eventLine, toJson } from '../output.js';

interface EventsOptions extends JournalSourceOptions {
  stream?: string;
  correlation?: string;
  causes?: string;
  effects?: string;
  json?: boolean;
}

export function registerEvents(program: Command): void {
  withJournalSource(
    program
      .command('events')
      .description(
        'read a stream, or walk the causal graph: what an event correlates with, was caused by, caused',
      ),
  )
    .option('--stream <entity>', "one stream's events in order")
    .option('--correlation <id>', 'every event of a correlation, in global order')
    .option('--causes <event id>', 'the chain of causes of an event, nearest first')
    .option('--effects <event id>', 'an event and everything it caused, as a tree')
    .option('--json', 'JSON: one object per event (a tree for --effects)')
    .action(async (dir: string | undefined, opts: EventsOptions) => {
      const chosen = (['stream', 'correlation', 'causes', 'effects'] as const).filter(
        (k) => opts[k] !== undefined,
      );
      if (chosen.length !== 1)
        throw new InvalidArgument('give exactly one of --stream, --correlation, --causes and --effects');
      const source = await openJournalSource(dir, opts);
      const { journal } = source;
      try {
        if (opts.effects !== undefined) {
          const tree = await journal.effects(opts.effects);
          if (opts.json) console.log(toJson(tree));
          else printTree(tree, '');
          return;
        }
        const events: StoredEvent[] =
          opts.stream !== undefined
            ? await journal.readStream(opts.stream)
            : opts.correlation !== undefined
              ? await journal.correlated(opts.correlation)
              : await journal.causes(opts.causes as string);
        for (const e of events) console.log(opts.json ? toJson(e) : eventLine(e));
        if (events.length === 0 && !opts.json) console.error('no events');
      } finally {
        await source.close();
      }
    });
}

function printTree(node: EffectTree, indent: string): void {
  const e = node.event;
  console.log(`${indent}${e.type} ${e.entity}@${e.streamVersion} (position ${e.position}, ${e.id})`);
  for (const child of node.effects) printTree(child, `${indent}  `);
}
