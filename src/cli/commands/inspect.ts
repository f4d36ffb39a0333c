import type { Command } from 'commander';
import { openJournalDir } from '../journal-dir.js';
import { parseCount } from '../options.js';
import { humanBytes, humanMs, table, toJson } from '../output.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('counts, streams, segments, bytes, watermarks and how the journal opened')
    .argument('<dir>', 'journal directory')
    .option('--streams <n>', 'streams to list, largest first', parseCount, 10)
    .option('--json', 'one JSON document')
    .addHelpText(
      'after',
      `
Opens the journal read-only: safe while its writer runs.

Examples:
  $ causeway inspect ./causeway-demo/journal
  $ causeway inspect ./data/journal --streams 25
  $ causeway inspect ./data/journal --json | jq .stats`,
    )
    .action((dir: string, opts: { streams: number; json?: boolean }) => {
      const journal = openJournalDir(dir);
      try {
        const stats = journal.stats();
        const marks = journal.watermarks();
        const report = journal.openReport();
        const streams = journal
          .streams()
          .sort((a, b) => b.events - a.events)
          .slice(0, opts.streams);
        if (opts.json) {
          console.log(toJson({ dir, stats, watermarks: marks, openReport: report, streams }, 2));
          return;
        }
        console.log(`journal     ${dir}`);
        console.log(
          `events      ${stats.events}  streams ${stats.streams}  segments ${stats.segments}  ` +
            `${humanBytes(stats.bytes)} on disk  ${humanBytes(stats.indexBytes)} index`,
        );
        console.log(
          `watermarks  ${Object.entries(marks)
            .map(([k, v]) => `${k} ${v}`)
            .join('  ')}`,
        );
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
        journal.close();
      }
    });
}
