import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { coordinate, leased, Outbox, open, Result } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { waitFor } from '../outbox/conformance.js';
import { cli, cliProcess } from './run-cli.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** An SQLite outbox with one dead letter in `mail`, stopped; and a journal directory with one event. */
async function outboxAndJournal() {
  const dir = tempDir();
  const db = `sqlite:${path.join(dir, 'outbox.db')}`;
  const outbox = await Outbox.start(db, {
    queues: { mail: { partitions: 1, delivery: leased(async () => Result.reject('bad address')) } },
    tuning: { pollIntervalMs: 20 },
  });
  await outbox.enqueueAndCommit('mail', [{ type: 'Mail', payload: {} }]);
  await waitFor(async () => (await outbox.stats())[0].deadLetters === 1);
  await outbox.stop();
  const journal = open(path.join(dir, 'journal'));
  journal.append(coordinate('order:1', 'shop'), { type: 'OrderPlaced', data: {} });
  journal.close();
  return { db, journal: path.join(dir, 'journal') };
}

/** Starts `causeway dashboard <args>` and waits for the URL it prints. */
async function startDashboard(args: string[]) {
  const child = cliProcess(['dashboard', ...args]);
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b) => {
    stdout += b;
  });
  child.stderr?.on('data', (b) => {
    stderr += b;
  });
  await waitFor(() => /token: \S+\n/.test(stdout) || child.exitCode !== null, 20_000, 'the dashboard URL');
  const url = stdout.match(/Causeway dashboard: (\S+)/)?.[1];
  if (!url) throw new Error(`no URL printed: ${stdout}${stderr}`);
  const base = url.replace(/\?token=.*/, '');
  // Opening the printed URL trades the token for a cookie, as a browser does.
  const opened = await fetch(url, { redirect: 'manual' });
  expect(opened.status).toBe(303);
  const cookie = opened.headers.get('set-cookie')!.split(';')[0];
  const api = (route: string, init: RequestInit = {}) =>
    fetch(`${base}api/${route}`, { ...init, headers: { cookie, 'content-type': 'application/json' } });
  return { child, base, cookie, api, stderr: () => stderr };
}

describe('causeway dashboard', () => {
  it('serves the page and the API for an outbox and a journal, logs actions, and stops on SIGTERM', async () => {
    const { db, journal } = await outboxAndJournal();
    const { child, base, cookie, api, stderr } = await startDashboard(['--db', db, '--journal', journal]);
    expect(new URL(base).hostname).toBe('127.0.0.1');
    const page = await fetch(base, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Causeway dashboard</title>');
    expect((await fetch(`${base}api/overview`)).status).toBe(401);
    const overview = (await (await api('overview')).json()) as {
      outbox: { queues: unknown[] };
      journal: { stats: { events: number } };
    };
    expect(overview.outbox.queues[0]).toMatchObject({ queue: 'mail', deadLetters: 1 });
    expect(overview.journal.stats.events).toBe(1);
    // The directory's writer goes on; the page follows it.
    const writer = open(journal);
    writer.append(coordinate('order:2', 'shop'), { type: 'OrderPlaced', data: {} });
    writer.close();
    const events = async () =>
      ((await (await api('overview')).json()) as { journal: { stats: { events: number } } }).journal.stats
        .events;
    await waitFor(async () => (await events()) === 2, 5000, 'the new event shown');
    expect(((await (await api('journal/stream?entity=order%3A2')).json()) as unknown[]).length).toBe(1);
    const purged = await api('dead-letters/purge', {
      method: 'POST',
      body: JSON.stringify({ queue: 'mail' }),
    });
    expect(await purged.json()).toEqual({ purged: 1 });
    await waitFor(() => stderr().includes('"msg":"dashboard action"'), 5000, 'the action logged');
    const logged = JSON.parse(
      stderr()
        .split('\n')
        .find((l) => l.includes('dashboard action'))!,
    );
    expect(logged).toMatchObject({ level: 30, action: 'dead-letters/purge', result: { purged: 1 } });
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('with --read-only refuses the actions', async () => {
    const { db } = await outboxAndJournal();
    const { api } = await startDashboard(['--db', db, '--read-only']);
    const r = await api('dead-letters/purge', { method: 'POST', body: JSON.stringify({ queue: 'mail' }) });
    expect(r.status).toBe(403);
    expect(((await (await api('overview')).json()) as { readOnly: boolean }).readOnly).toBe(true);
  });

  it('says what is wrong with its options, in one line', () => {
    for (const [args, pattern] of [
      [[], /give an outbox database/],
      [['--db', './outbox.db'], /--db takes a database URL/],
      [['--port', '70000'], /port from 0 to 65535/],
      [['--journal', tempDir()], /journal/],
      [['--journal', tempDir(), '--receipt-key', '/no/such/key.pem'], /--receipt-key: cannot read/],
    ] as const) {
      const r = cli(['dashboard', ...args], { DATABASE_URL: undefined });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
