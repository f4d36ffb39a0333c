// Bundles the dashboard's page (web/dashboard) into dist/dashboard: one script, one stylesheet and
// the HTML, with every library inside, so the page works without a network connection.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds into `out` (default dist/dashboard; tests build into a directory of their own). */
export async function buildDashboard(out = `${root}dist/dashboard`) {
  fs.rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: { app: `${root}web/dashboard/src/main.tsx` },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outdir: `${out}/assets`,
    legalComments: 'external',
    logLevel: 'warning',
  });
  fs.copyFileSync(`${root}web/dashboard/index.html`, `${out}/index.html`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildDashboard(process.argv[2]);
