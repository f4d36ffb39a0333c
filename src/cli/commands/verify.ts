import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CorruptData } from '../../errors.js';
import type { Journal, VerifyResult } from '../../journal/index.js';
import { breakOf } from '../../journal/verify.js';
import { openJournalDir } from '../journal-dir.js';
import { describeBreak, toJson } from '../output.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('verify every hash chain; exits 1 and names the exact place of the first break')
    .argument('<dir>', 'journal directory')
    .option('--json', 'one JSON document')
    .option('--no-progress', 'no progress bar')
    .action((dir: string, opts: { json?: boolean; progress: boolean }) => {
      let journal: Journal;
      try {
        journal = openJournalDir(dir);
      } catch (err) {
        if (!(err instanceof CorruptData)) throw err;
        report({ ok: false, events: 0, streams: 0, firstBreak: breakOf(err) }, opts.json);
        return;
      }
      const bar =
        opts.progress && process.stderr.isTTY
          ? new SingleBar({
              stream: process.stderr,
              format: 'verifying [{bar}] {percentage}% {value}/{total} events',
            })
          : null;
      let result: VerifyResult;
      try {
        bar?.start(journal.stats().events, 0);
        result = journal.verify({ onProgress: (checked) => bar?.update(checked) });
      } finally {
        bar?.stop();
        journal.close();
      }
      report(result, opts.json);
    });
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
