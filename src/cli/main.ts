#!/usr/bin/env node
import { CausewayError } from '../errors.js';
import { describeError } from './output.js';
import { packageInfo } from './package-info.js';
import { buildProgram } from './program.js';

// Output piped into `head` and the like may close early: that ends the command, it is not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  await buildProgram(packageInfo().version).parseAsync(process.argv);
} catch (err) {
  // One line for what went wrong, with Causeway's error code; the stack too with CAUSEWAY_DEBUG=1
  // when it is not one of Causeway's own errors.
  console.error(`causeway: ${describeError(err)}`);
  if (process.env.CAUSEWAY_DEBUG && err instanceof Error && !(err instanceof CausewayError))
    console.error(err.stack);
  process.exitCode = 1;
}
