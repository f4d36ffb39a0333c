/**
 * The peers the benchmarks compare against live in bench/peers with their own lockfile (their peer
 * dependencies conflict with the project's); they are installed there on first use.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = import.meta.dirname;

/** Imports `name` from bench/peers, installing the peers first when they are not there. */
export async function importPeer<T>(name: string): Promise<T> {
  if (!fs.existsSync(path.join(dir, 'node_modules')))
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', dir], { stdio: 'inherit' });
  const resolved = createRequire(path.join(dir, 'package.json')).resolve(name);
  return (await import(pathToFileURL(resolved).href)) as T;
}
