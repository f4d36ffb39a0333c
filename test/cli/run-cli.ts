import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '../..');
const main = path.join(root, 'src', 'cli', 'main.ts');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The command line that runs `causeway <args>` from the sources. */
export const cliCommand = (args: readonly string[]): string[] => [
  process.execPath,
  '--import',
  tsx,
  main,
  ...args,
];

/** Runs `causeway <args>` from the sources in a child process. */
export function cli(args: readonly string[], env: Record<string, string | undefined> = {}): CliResult {
  const r = spawnSync(process.execPath, ['--import', tsx, main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `causeway <args>` and leaves it running (for --follow). */
export function cliProcess(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, ['--import', tsx, main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}
