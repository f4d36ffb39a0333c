/**
 * The package as a user installs it: packed from this checkout, installed into fresh folders from
 * the registry, and used from ES modules, CommonJS and TypeScript. Also attw and publint on the tarball.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coordinate, open } from '../../src/index.js';
import { PG_URL } from '../outbox/databases.js';

const root = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(import.meta.dirname, 'consumer');
const resolve = createRequire(import.meta.url).resolve;
const INSTALL_MS = 5 * 60_000;

// Installs take a minute (better-sqlite3 compiles): run asynchronously so the test worker stays responsive.
async function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(cmd, args, { cwd, env: { ...process.env, ...env } });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}
const npm = (args: string[], cwd: string) => run('npm', ['--no-audit', '--no-fund', ...args], cwd);
const node = (args: string[], cwd: string, env?: NodeJS.ProcessEnv) => run(process.execPath, args, cwd, env);

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'causeway-package-'));
  dirs.push(dir);
  return dir;
}

/** Packs a copy of the checkout (prepack builds dist/ there, leaving this checkout's dist/ alone). */
async function pack(): Promise<string> {
  const copy = tempDir();
  for (const entry of [
    'package.json',
    'README.md',
    'LICENSE',
    'bin',
    'src',
    'scripts',
    'web',
    'tsconfig.json',
    'tsconfig.build.json',
  ])
    fs.cpSync(path.join(root, entry), path.join(copy, entry), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
  const out = tempDir();
  const name = (await npm(['pack', '--silent', '--pack-destination', out], copy)).trim().split('\n').pop()!;
  return path.join(out, name);
}

describe('the packed package', () => {
  let tarball: string;
  let consumer: string;

  beforeAll(async () => {
    tarball = await pack();
    consumer = tempDir();
    fs.writeFileSync(
      path.join(consumer, 'package.json'),
      '{ "name": "consumer", "private": true, "type": "module" }\n',
    );
    for (const f of fs.readdirSync(fixtures)) fs.copyFileSync(path.join(fixtures, f), path.join(consumer, f));
    await npm(['install', '--prefer-offline', tarball, 'better-sqlite3@12'], consumer);
  }, INSTALL_MS);

  it('holds dist, the command, README and LICENSE, and no source maps', async () => {
    const files = (await run('tar', ['-tzf', tarball], root)).split('\n');
    expect(files).toContain('package/LICENSE');
    expect(files).toContain('package/bin/causeway.js');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    for (const page of ['index.html', 'assets/app.js', 'assets/app.css'])
      expect(files).toContain(`package/dist/dashboard/${page}`); // the dashboard's page, built
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toEqual([]);
  });

  it('installs with better-sqlite3 alone: the journal and an SQLite outbox run, PostgreSQL names its missing driver', async () => {
    const installed = fs.readdirSync(path.join(consumer, 'node_modules'));
    expect(installed).not.toContain('pg');
    expect(installed).not.toContain('mysql2');
    const out = await node(['journal-and-sqlite.mjs'], consumer);
    expect(out).toContain('journal 1 true');
    expect(out).toContain('sqlite outbox delivered {"n":1}');
    expect(out).toContain('postgres without pg: DRIVER_MISSING PostgreSQL needs the pg package');
  });

  it("serves the dashboard's page from the installed package", async () => {
    const journal = path.join(consumer, 'journal');
    const j = open(journal);
    j.append(coordinate('order:1', 'shop'), { type: 'OrderPlaced', data: {} });
    j.close();
    const bin = path.join(consumer, 'node_modules/causewayjs/bin/causeway.js');
    const child = spawn(process.execPath, [bin, 'dashboard', '--journal', journal], { cwd: consumer });
    try {
      let out = '';
      child.stdout.on('data', (b) => {
        out += b;
      });
      for (let i = 0; i < 300 && !/token: /.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      const url = out.match(/Causeway dashboard: (\S+)/)?.[1];
      expect(url, out).toBeDefined();
      const cookie = (await fetch(url!, { redirect: 'manual' })).headers.get('set-cookie')!.split(';')[0];
      const base = url!.replace(/\?token=.*/, '');
      for (const page of ['', 'assets/app.js', 'assets/app.css'])
        expect((await fetch(`${base}${page}`, { headers: { cookie } })).status, page).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('is usable from CommonJS through require()', async () => {
    expect(await node(['require.cjs'], consumer)).toContain('require 1 function function');
  });

  it('runs its command through npx', async () => {
    expect((await run('npx', ['causeway', '--version'], consumer)).trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('type-checks in TypeScript projects using node16 (ESM), bundler and node20 (CommonJS) resolution', async () => {
    const tsc = resolve('typescript/bin/tsc');
    const typeRoots = path.join(root, 'node_modules/@types');
    const common = [
      '--noEmit',
      '--strict',
      '--target',
      'es2022',
      '--types',
      'node',
      '--typeRoots',
      typeRoots,
    ];
    await node([tsc, ...common, '--module', 'node16', '--moduleResolution', 'node16', 'typed.ts'], consumer);
    await node([tsc, ...common, '--module', 'esnext', '--moduleResolution', 'bundler', 'typed.ts'], consumer);
    const cjs = path.join(consumer, 'cjs');
    fs.mkdirSync(cjs);
    fs.writeFileSync(path.join(cjs, 'package.json'), '{ "type": "commonjs" }\n');
    fs.copyFileSync(path.join(consumer, 'typed.ts'), path.join(cjs, 'typed.ts'));
    await node([tsc, ...common, '--module', 'node20', 'typed.ts'], cjs);
  });

  // attw models require() of ES modules as an error; Node has loaded them since 20.19 and 22.12
  // (the require() test above), so that one rule is left out.
  it('passes arethetypeswrong and publint', async () => {
    const modules = path.join(root, 'node_modules');
    await node(
      [
        path.join(modules, '@arethetypeswrong/cli/dist/index.js'),
        tarball,
        '--ignore-rules',
        'cjs-resolves-to-esm',
      ],
      root,
    );
    const publint = await node([path.join(modules, 'publint/src/cli.js'), tarball], root);
    expect(publint).toContain('All good');
  });

  describe('with pg added', () => {
    const database = `causeway_pkg_${process.pid}`;
    const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });

    beforeAll(async () => {
      await npm(['install', '--prefer-offline', 'pg@8'], consumer);
      await admin.query(`CREATE DATABASE ${database}`);
    }, INSTALL_MS);
    afterAll(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    });

    it('runs a PostgreSQL outbox', async () => {
      const url = new URL(PG_URL);
      url.pathname = `/${database}`;
      const out = await node(['postgres.mjs'], consumer, { DATABASE_URL: url.href });
      expect(out).toContain('postgres outbox delivered {"n":2}');
    });
  });
});
