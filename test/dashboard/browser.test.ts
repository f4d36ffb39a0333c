/**
 * The dashboard in headless Chromium (Debian's, driven by playwright-core): what a user sees and
 * clicks. Screenshots go to test-artifacts/dashboard/.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { coordinate } from '../../src/index.js';
import { freshJournal } from '../helpers.js';
import { eventually } from '../sinks/brokers.js';
import { closeAll, outboxWithDeadLetters, serve } from './fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const root = path.resolve(import.meta.dirname, '../..');
const artifacts = path.join(root, 'test-artifacts/dashboard');

const installed = fs.existsSync(CHROMIUM);
if (!installed && process.env.CI)
  throw new Error(`${CHROMIUM} is missing, and CI requires it (.ci/run installs it)`);
if (!installed) console.warn(`[skip] ${CHROMIUM} is not installed; the dashboard browser tests are skipped`);

describe.skipIf(!installed)('dashboard in a browser', () => {
  let browser: Browser;
  let pageDir: string;
  const pages: Page[] = [];

  beforeAll(async () => {
    // The page as the package builds it, into a directory of this test's own.
    pageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'causeway-page-'));
    execFileSync(process.execPath, [path.join(root, 'scripts/build-dashboard.mjs'), pageDir]);
    fs.mkdirSync(artifacts, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    fs.rmSync(pageDir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const p of pages.splice(0)) await p.close();
    await closeAll();
  });

  /** A new page that fails the test on any script error or failed request. */
  async function newPage(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    pages.push(page);
    page.setDefaultTimeout(10_000);
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    (page as Page & { problems: string[] }).problems = problems;
    return page;
  }
  const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;
  const shoot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });

  it('refuses the page and the API without the token', async () => {
    const { server } = await serve({}, { pageDir });
    const base = server.url.replace(/\?token=.*/, '');
    const page = await newPage();
    const response = await page.goto(base);
    expect(response?.status()).toBe(401);
    expect(await page.textContent('body')).toContain('dashboard token is required');
    expect((await page.request.get(`${base}api/overview`)).status()).toBe(401);
    expect((await page.request.get(`${base}assets/app.js`)).status()).toBe(401);
    await shoot(page, 'no-token');
  });

  it('shows each queue with the counts stats() has, and its partitions', async () => {
    const { outbox } = await outboxWithDeadLetters();
    const { server } = await serve({ outbox }, { pageDir });
    const page = await newPage();
    await page.goto(server.url);
    expect(page.url()).not.toContain('token='); // traded for a cookie at once
    for (const q of await outbox.stats()) {
      const row = page.locator(`tr[data-queue="${q.queue}"]`);
      for (const field of ['depth', 'pending', 'lag', 'deadLetters'] as const)
        await expect
          .poll(() => row.locator(`td[data-field="${field}"]`).textContent(), { timeout: 10_000 })
          .toBe(q[field].toLocaleString('en'));
    }
    await page.click('tr[data-queue="mail"]');
    await expect.poll(() => page.locator('table[data-testid="partitions"] tbody tr').count()).toBe(2);
    expect(page.url()).toMatch(/#\/outbox\/mail$/);
    await shoot(page, 'queues');
    // A malformed link shows the queues, not a broken page.
    await page.evaluate("location.hash = '#/outbox/%E0'");
    await page.click('tr[data-queue="archive"]');
    await expect.poll(() => page.locator('table[data-testid="partitions"] tbody tr').count()).toBe(1);
    expect(problemsOf(page)).toEqual([]);
  });

  it('redrives a dead letter, confirmed, and the outbox delivers it', async () => {
    const { outbox, delivered, healed } = await outboxWithDeadLetters();
    const { server } = await serve({ outbox }, { pageDir });
    const page = await newPage();
    await page.goto(server.url);
    const rows = page.locator('table[data-testid="dead-letters"] tbody tr');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(3);
    const messageId = await rows.first().locator('td.mono').textContent();
    await rows.first().locator('td').nth(1).click(); // opens the letter
    expect(await page.textContent('[data-testid="dead-letter-detail"]')).toContain('bad address');
    await rows.first().locator('input[type="checkbox"]').check();
    healed.fixed = true;
    const questions: string[] = [];
    page.once('dialog', (d) => {
      questions.push(d.message());
      void d.accept();
    });
    await page.click('button[data-action="redrive"]');
    await expect.poll(() => page.textContent('[data-testid="action-status"]')).toBe('Redriven: 1');
    expect(questions).toEqual(['Redrive 1 dead letter(s) to their own queues?']);
    await eventually(
      () => delivered.some((m) => m.id === messageId),
      10_000,
      'the redriven message delivered',
    );
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    await expect
      .poll(() => page.textContent('tr[data-queue="mail"] td[data-field="deadLetters"]'), { timeout: 10_000 })
      .toBe('2');
    await shoot(page, 'dead-letters');
    // A dismissed confirmation does nothing.
    await rows.first().locator('input[type="checkbox"]').check();
    page.once('dialog', (d) => void d.dismiss());
    await page.click('button[data-action="discard"]');
    expect((await outbox.stats()).find((q) => q.queue === 'mail')?.deadLetters).toBe(2);
    expect(problemsOf(page)).toEqual([]);
  });

  it('opens an event and draws its causal graph with every cause and effect', async () => {
    const { journal } = freshJournal();
    const shop = (entity: string) => coordinate(entity, 'shop');
    const placed = journal.append(shop('order:1'), { type: 'OrderPlaced', data: { total: 120 } });
    const effects: { id: string }[] = [];
    for (const type of ['StockReserved', 'OrderPaid', 'ShipmentRequested'])
      effects.push(journal.append(shop(`${type}:1`), { type, data: {} }, { causedBy: placed.id }));
    journal.append(shop('ship:1'), { type: 'Shipped', data: {} }, { causedBy: effects[2].id });
    journal.append(shop('mail:1'), { type: 'Emailed', data: {} }, { causedBy: effects[1].id });
    journal.append(shop('other:1'), { type: 'Unrelated', data: {} });
    const { server } = await serve({ journal: journal.async }, { pageDir });
    const page = await newPage();
    await page.goto(server.url);
    await page.click('a[href="#/journal"]');
    await page.fill('input[name="prefix"]', 'order');
    await expect.poll(() => page.locator('table[data-testid="streams"] tbody tr').count()).toBe(1);
    await page.click('tr[data-entity="order:1"]');
    await page.click(`tr[data-event="${placed.id}"]`);
    const graph = page.locator('[data-testid="causal-graph"]');
    await expect.poll(() => graph.getAttribute('data-drawn'), { timeout: 10_000 }).toBe('6');
    expect(await graph.getAttribute('data-edges')).toBe('5');
    expect(await graph.locator('canvas').count()).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid="event-payload"]')).toContain('"total": 120');
    expect(await page.textContent('[data-testid="receipt-check"]')).toContain('Unsigned');
    await page.click('button[data-action="verify"]');
    await expect
      .poll(() => page.textContent('[data-testid="verify-result"]'), { timeout: 10_000 })
      .toContain('Verified: 7 events');
    await shoot(page, 'causal-graph');
    expect(problemsOf(page)).toEqual([]);
  });
});
