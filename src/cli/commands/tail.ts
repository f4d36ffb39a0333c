import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { Region, StoredEvent } from '../../journal/index.js';
import {
  type JournalSourceOptions,
  openJournalSource,
  type SourceJournal,
  withJournalSource,
} from '../journal-source.js';
import { parseCount, parsePositive, parseRegion, REGION_SYNTAX } from '../options.js';
import { eventLine, toJson } from '../output.js';

interface TailOptions extends JournalSourceOptions {
  region: Region;
  last: number;
  follow?: boolean;
  json?: boolean;
  intervalMs: number;
}

export function registerTail(program: Command): void {
  withJournalSource(
    program
      .command('tail')
      .description('print the latest events, and with --follow those that arrive (beside a running writer)'),
  )
    .option('--region <spec>', `only these events: ${REGION_SYNTAX}`, parseRegion, {})
    .option('-n, --last <n>', 'how many of the latest events to print first', parseCount, 10)
    .option('-f, --follow', 'keep printing new events until interrupted')
    .option('--interval-ms <ms>', 'how often to look for new events when following', parsePositive, 100)
    .option('--json', 'one JSON object per event')
    .action(async (dir: string | undefined, opts: TailOptions) => {
      const source = await openJournalSource(dir, opts);
      const { journal, embedded } = source;
      const print = (e: StoredEvent) => console.log(opts.json ? toJson(e) : eventLine(e));
      try {
        let after = await startAfter(journal, opts.region, opts.last);
        after = await printFrom(journal, opts.region, after, print);
        if (!opts.follow) return;
        const stop = new AbortController();
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
        while (!stop.signal.aborted) {
          await sleep(opts.intervalMs, undefined, { signal: stop.signal }).catch(() => {});
          embedded?.catchUp(); // a directory's writer is another process: read what it wrote since
          after = await printFrom(journal, opts.region, after, print);
        }
      } finally {
        await source.close();
      }
    });
}

/** The position after which the last `n` events of the region begin. */
async function startAfter(journal: SourceJournal, region: Region, n: number): Promise<number> {
  const end = (await journal.watermarks()).visible;
  if (n === 0) return end;
  // Walk back in windows until n events of the region are found (regions are read forwards).
  for (let window = Math.max(n * 4, 256); ; window *= 4) {
    const from = Math.max(0, end - window);
    const positions: number[] = [];
    for (let after = from, done = false; !done; ) {
      const page = await journal.readAll({ after, region, limit: 4096 });
      for (const e of page.events) positions.push(e.position);
      after = page.nextAfter;
      done = page.done;
    }
    if (positions.length >= n) return positions[positions.length - n] - 1;
    if (from === 0) return 0;
  }
}

async function printFrom(
  journal: SourceJournal,
  region: Region,
  after: number,
  print: (e: StoredEvent) => void,
): Promise<number> {
  for (;;) {
    const page = await journal.readAll({ after, region, limit: 1024 });
    for (const e of page.events) print(e);
    after = page.nextAfter;
    if (page.done) return after;
  }
}
