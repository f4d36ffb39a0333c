import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CorruptData } from '../../errors.js';
import type { VerifyResult } from '../../journal/index.js';
import { breakOf } from '../../journal/verify.js';
import {
  type JournalSource,
  type JournalSourceOptions,
  openJournalSource,
  withJournalSource,
} from '../journal-source.js';
import { describeBreak, toJson } from '../output.js';

export function registerVerify(program: Command): void {
  withJournalSource(
    program
      .command('verify')
      .description('verify every hash chain; exits 1 and names the exact place of the first break'),
  )
    .option('--json', 'one JSON document')
    .option('--no-progress', 'no progress bar')
    .action(
      async (dir: string | undefined, opts: JournalSourceOptions & { json?: boolean; progress: boolean }) => {
        let source: JournalSource;
        try {
          source = await openJournalSource(dir, opts);
        } catch (err) {
          if (!(err instanceof CorruptData)) throw err;
          report({ ok: false, events: 0, streams: 0, firstBreak: breakOf(err) }, opts.json);
          return;
        }
        const { journal } = source;
        const bar =
          opts.progress && process.stderr.isTTY
            ? new SingleBar({
                stream: process.stderr,
                format: 'verifying [{bar}] {percentage}% {value}/{total} events',
              })
            : null;
        let result: VerifyResult;
        try {
          bar?.start((await journal.stats()).events, 0);
          result = await journal.verify({ onProgress: (checked) => bar?.update(checked) });
        } finally {
          bar?.stop();
          await source.close();
        }
        report(result, opts.json);
      },
    );
}

function report(result: VerifyResult, json: boolean | undefined): void {
  if (json) console.log(toJson(result, 2));
  else if (result.ok)
    console.log(`ok: ${result.events} events in ${result.streams} streams, every chain intact`);
  else {
    console.log(`BROKEN: ${describeBreak(result.firstBreak!)}`);
  }
  if (!result.ok) process.exitCode = 1;
}
