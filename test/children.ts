import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { TSX_LOADER } from './helpers.js';

/** The repository root, where child processes run. */
export const root = path.resolve(import.meta.dirname, '..');

/** Path of a fixture script under test/fixtures. */
export const fixture = (name: string): string => path.join(root, 'test/fixtures', name);

/** A TypeScript child process and the lines it has printed so far. */
export interface Child {
  proc: ChildProcess;
  lines: string[];
  /** The first line printed. */
  ready: Promise<string>;
  /** Resolves on exit 0 or SIGKILL; rejects on any other exit, with the child's stderr. */
  exited: Promise<void>;
}

/** Runs `script` with tsx, collecting its stdout lines. */
export function startChild(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', TSX_LOADER, script, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  let onReady: (line: string) => void = () => {};
  const ready = new Promise<string>((resolve) => {
    onReady = resolve;
  });
  proc.stdout!.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      if (lines.length === 0) onReady(line);
      lines.push(line);
    }
  });
  proc.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve, reject) => {
    proc.on('exit', (code, signal) =>
      signal === 'SIGKILL' || code === 0 ? resolve() : reject(new Error(`child exited ${code}: ${stderr}`)),
    );
  });
  return { proc, lines, ready, exited };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
