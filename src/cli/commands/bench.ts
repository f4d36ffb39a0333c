import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { InvalidArgument } from '../../errors.js';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('run the benchmark suite (the same as npm run bench; needs a source checkout)')
    .option('--json', 'one JSON line per case')
    .option('--only <prefix>', 'only the cases whose name starts with this')
    .action((opts: { json?: boolean; only?: string }) => {
      const { root, tsx } = sourceCheckout();
      const args = ['--import', tsx, path.join(root, 'bench', 'run.ts')];
      if (opts.json) args.push('--json');
      if (opts.only !== undefined) args.push('--only', opts.only);
      const run = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
      process.exitCode = run.status ?? 1;
    });
}

/** The checkout this command runs from, with its benchmark sources and tsx. */
function sourceCheckout(): { root: string; tsx: string } {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  if (!fs.existsSync(path.join(dir, 'bench', 'run.ts')))
    throw new InvalidArgument(
      'the benchmark suite runs from a source checkout of causeway (bench/ is not here)',
    );
  try {
    return {
      root: dir,
      tsx: pathToFileURL(createRequire(path.join(dir, 'package.json')).resolve('tsx')).href,
    };
  } catch {
    throw new InvalidArgument('the benchmark suite needs the dev dependencies: run npm ci first');
  }
}
