import type { Command } from 'commander';
import { runDemo } from '../demo/workflow.js';
import { humanMs } from '../output.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('an order workflow on embedded defaults: gates, journal, projection, reactor, outbox')
    .argument(
      '[dir]',
      'where the demo keeps its journal and outbox (run again to continue)',
      './causeway-demo',
    )
    .action(async (dir: string) => {
      const started = performance.now();
      await runDemo(dir, (line) => console.log(line));
      console.log(`\ndone in ${humanMs(performance.now() - started)}; run it again to continue the journal`);
    });
}
