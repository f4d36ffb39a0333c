import type { Command } from 'commander';
import { type JournalSourceOptions, openJournalSource, withJournalSource } from '../journal-source.js';
import { parseCount } from '../options.js';
import { humanBytes, humanMs, table, toJson } from '../output.js';

export function registerInspect(program: Command): void {
  withJournalSource(
    program
      .command('inspect')
      .description('counts, streams, segments, bytes, watermarks and how the journal opened'),
  )
    .option('--streams <n>', 'streams to list, largest first', parseCount, 10)
    .option('--json', 'one JSON document')
    .addHelpText(
      'after',
      `
Opens the journal read-only: safe while its writer runs.

Examples:
  $ causeway inspect ./causeway-demo/journal
  $ causeway inspect ./data/journal --streams 25
  $ causeway inspect ./data/journal --json | jq .stats
  $ causeway inspect --db postgres://localhost/shop --schema shop_journal`,
    )
    .action(
      async (dir: string | undefined, opts: JournalSourceOptions & { streams: number; json?: boolean }) => {
        const source = await openJournalSource(dir, opts);
        try {
          const { journal, embedded } = source;
          const stats = await journal.stats();
          const marks = await journal.watermarks();
          const report = embedded?.openReport();
          const streams = (await journal.streams())
            .sort((a, b) => b.events - a.events)
            .slice(0, opts.streams);
          if (opts.json) {
            console.log(
              toJson({ ...source.label, stats, watermarks: marks, openReport: report, streams }, 2),
            );
            return;
          }
          for (const [key, value] of Object.entries(source.label)) console.log(`${key.padEnd(11)} ${value}`);
          console.log(
            `events      ${stats.events}  streams ${stats.streams}` +
              (embedded ? `  segments ${stats.segments}` : '') +
              `  ${humanBytes(stats.bytes)} on disk` +
              (embedded ? `  ${humanBytes(stats.indexBytes)} index` : ''),
          );
          console.log(
            `watermarks  ${Object.entries(marks)
              .map(([k, v]) => `${k} ${v}`)
              .join('  ')}`,
          );
          if (report)
            console.log(
              `opened      by ${report.path} in ${humanMs(report.durationMs)} (${report.eventsScanned} events scanned` +
                `${report.snapshotRejected ? `; snapshot rejected: ${report.snapshotRejected}` : ''})`,
            );
          if (streams.length > 0) {
            console.log('');
            console.log(
              table(
                ['stream', 'scope', 'events'],
                streams.map((s) => [s.entity, s.scope, s.events]),
              ),
            );
          }
        } finally {
          await source.close();
        }
      },
    );
}
