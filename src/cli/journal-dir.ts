import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgument } from '../errors.js';
import { type Journal, openReadOnly } from '../journal/index.js';

/**
 * Opens the journal in `dir` read-only, so every inspecting command works beside a running writer
 * and can never change the journal.
 */
export function openForReading(dir: string): Journal {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new InvalidArgument(`no journal directory at ${path.resolve(dir)}`);
  return openReadOnly(dir);
}
