// Compiles src/ to a fresh dist/ (no stale files from renamed sources end up in the package) and
// bundles the dashboard's page into it.
// `--if-installed` (the prepare script) does nothing when TypeScript is not installed yet: npx run in
// a fresh clone before `npm ci` installs the project without its dependencies, and a failing
// prepare there would leave npx's cache broken; the command then says to run `npm ci`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch (err) {
  if (process.argv.includes('--if-installed')) process.exit(0);
  throw err;
}
fs.rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
const { buildDashboard } = await import('./build-dashboard.mjs');
await buildDashboard();
