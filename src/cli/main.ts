#!/usr/bin/env node
import fs from 'node:fs';
import { CausewayError } from '../errors.js';
import { buildProgram } from './program.js';

const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

// Output piped into `head` and the like may close early: that ends the command, it is not a failure.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  await buildProgram(pkg.version).parseAsync(process.argv);
} catch (err) {
  // One line for what went wrong; the stack too with CAUSEWAY_DEBUG=1, or when it is not an Error.
  const message = err instanceof Error ? err.message : String(err);
  console.error(`causeway: ${message}`);
  if (process.env.CAUSEWAY_DEBUG && err instanceof Error && !(err instanceof CausewayError))
    console.error(err.stack);
  process.exitCode = 1;
}
