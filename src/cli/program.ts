import { Command } from 'commander';
import { registerBench } from './commands/bench.js';
import { registerCheckpoints } from './commands/checkpoints.js';
import { registerDemo } from './commands/demo.js';
import { registerEvents } from './commands/events.js';
import { registerInspect } from './commands/inspect.js';
import { registerOutbox } from './commands/outbox.js';
import { registerTail } from './commands/tail.js';
import { registerVerify } from './commands/verify.js';

/** The `causeway` command with every subcommand. */
export function buildProgram(version: string): Command {
  const program = new Command('causeway')
    .description('Causeway: an embedded hash-chained event journal and a transactional SQL outbox')
    .version(version)
    // Usage errors read like every other failure: one line, `causeway: ...`.
    .configureOutput({ outputError: (text, write) => write(`causeway: ${text.replace(/^error: /, '')}`) });
  registerDemo(program);
  registerInspect(program);
  registerVerify(program);
  registerTail(program);
  registerEvents(program);
  registerCheckpoints(program);
  registerOutbox(program);
  registerBench(program);
  return program;
}
