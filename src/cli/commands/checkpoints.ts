import type { Command } from 'commander';
import { InvalidArgument } from '../../errors.js';
import { openJournalDir } from '../journal-dir.js';
import { parseCount } from '../options.js';
import { table, toJson } from '../output.js';

export function registerCheckpoints(program: Command): void {
  program
    .command('checkpoints')
    .description("the journal's saved consumer checkpoints; --reset moves one (after CheckpointAhead)")
    .argument('<dir>', 'journal directory')
    .option('--reset <id>', 'checkpoint to move (stop its consumer first)')
    .option('--to <position>', 'with --reset: resume after this position (0: from the start)', parseCount)
    .option('--json', 'one JSON document')
    .action((dir: string, opts: { reset?: string; to?: number; json?: boolean }) => {
      if ((opts.reset === undefined) !== (opts.to === undefined))
        throw new InvalidArgument('--reset and --to go together');
      const journal = openJournalDir(dir);
      try {
        if (opts.reset !== undefined) journal.resetCheckpoint(opts.reset, opts.to as number);
        const checkpoints = journal.checkpoints();
        if (opts.json) console.log(toJson({ end: journal.watermarks().visible, checkpoints }, 2));
        else if (checkpoints.length === 0) console.log('no checkpoints');
        else {
          const rows = checkpoints.map((c) => [c.id, c.position, c.status, toJson(c.region)]);
          console.log(table(['checkpoint', 'position', 'status', 'region'], rows));
          console.log(`journal end ${journal.watermarks().visible}`);
        }
      } finally {
        journal.close();
      }
    });
}
