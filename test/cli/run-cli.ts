import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { TSX_LOADER } from '../helpers.js';

const root = path.resolve(import.meta.dirname, '../..');
const main = path.join(root, 'src', 'cli', 'main.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Node's arguments that run `causeway <args>` from the sources. */
const nodeArgs = (args: readonly string[]): string[] => ['--import', TSX_LOADER, main, ...args];

/** The command line that runs `causeway <args>` from the sources. */
export const cliCommand = (args: readonly string[]): string[] => [process.execPath, ...nodeArgs(args)];

/** Runs `causeway <args>` from the sources in a child process. */
export function cli(args: readonly string[], env: Record<string, string | undefined> = {}): CliResult {
  const r = spawnSync(process.execPath, nodeArgs(args), {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `causeway <args>` and leaves it running (for --follow). */
export function cliProcess(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, nodeArgs(args), { stdio: ['ignore', 'pipe', 'pipe'] });
}
