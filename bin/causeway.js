#!/usr/bin/env node
// The command's entry point is committed rather than built, so npm links it whether or not dist/
// exists yet (npx run before the build would otherwise cache the package without a link).
import fs from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!fs.existsSync(main)) {
  console.error('causeway: not built yet: run `npm ci` (or `npm run build`) in this folder first');
  process.exit(1);
}
await import(main.href);
