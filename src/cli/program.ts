import { Command } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerCheckpoints } from './commands/checkpoints.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerDemo } from './commands/demo.js';
import { registerDoctor } from './commands/doctor.js';
import { registerEvents } from './commands/events.js';
import { registerInspect } from './commands/inspect.js';
import { registerJournal } from './commands/journal.js';
import { registerMetrics } from './commands/metrics.js';
import { registerOutbox } from './commands/outbox.js';
import { registerTail } from './commands/tail.js';
import { registerVerify } from './commands/verify.js';

/** The `causeway` command with every subcommand. */
export function buildProgram(version: string): Command {
  const program = new Command('causeway')
    .description('Causeway: an embedded hash-chained event journal and a transactional SQL outbox')
    .version(version)
    // Usage errors read like every other failure: one line, `causeway: CODE: ...`.
    .configureOutput({
      outputError: (text, write) => write(`causeway: INVALID_ARGUMENT: ${text.replace(/^error: /, '')}`),
    })
    .addHelpText(
      'after',
      `
Failures are one line on stderr, \`causeway: CODE: what went wrong\`, and a non-zero exit.

Examples:
  $ causeway demo                                   # writes ./causeway-demo (journal/ and outbox.db)
  $ causeway inspect ./causeway-demo/journal
  $ causeway verify ./causeway-demo/journal
  $ causeway metrics ./causeway-demo/journal             # Prometheus text format
  $ causeway dashboard --db sqlite:./causeway-demo/outbox.db --journal ./causeway-demo/journal
  $ causeway doctor --database sqlite:./causeway-demo/outbox.db --journal ./causeway-demo/journal
  $ causeway journal copy ./data/journal postgres://app@localhost/app
  $ causeway outbox migrate postgres://app@localhost/app
  $ causeway outbox schema mysql > outbox.sql`,
    );
  registerDemo(program);
  registerInspect(program);
  registerVerify(program);
  registerTail(program);
  registerMetrics(program);
  registerEvents(program);
  registerCheckpoints(program);
  registerJournal(program);
  registerOutbox(program);
  registerDoctor(program);
  registerDashboard(program);
  registerBench(program);
  return program;
}
