import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach } from 'vitest';
import { type Journal, type JournalOptions, open } from '../src/index.js';

/** `node --import <this>` runs TypeScript files in child processes (fixtures, the CLI, README code). */
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const dirs: string[] = [];
const journals: Journal[] = [];

afterEach(() => {
  for (const j of journals.splice(0)) j.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary directory, removed after the test. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'causeway-test-'));
  dirs.push(dir);
  return dir;
}

/** Registers a journal to be closed after the test (closing twice is harmless). */
export function track<T extends Journal>(journal: T): T {
  journals.push(journal);
  return journal;
}

/** A journal in a fresh directory, closed after the test. */
export function freshJournal(options?: JournalOptions): { journal: Journal; dir: string } {
  const dir = tempDir();
  return { journal: track(open(dir, options)), dir };
}

/** A logger that keeps what it is told, by level, for tests of what the library reports. */
export function recordingLogger() {
  type Entry = { obj: Record<string, unknown>; msg?: string };
  const warnings: Entry[] = [];
  const errors: Entry[] = [];
  const infos: Entry[] = [];
  const into = (list: Entry[]) => (obj: Record<string, unknown>, msg?: string) =>
    void list.push({ obj, msg });
  const logger = { debug() {}, info: into(infos), warn: into(warnings), error: into(errors) };
  return { logger, warnings, errors, infos };
}
