import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type Delivery, leased, Outbox, Result, transactional } from '../../src/index.js';
import { fixture, startChild } from '../children.js';
import { recordingLogger, tempDir } from '../helpers.js';
import { defineConformance, waitFor } from './conformance.js';
import { sqliteKind } from './databases.js';

await defineConformance(sqliteKind);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the application beside an SQLite outbox in one process', () => {
  /** Application transactions (a row and an enqueue each) while the outbox delivers. */
  async function appWrites(delivery: Delivery, logger = recordingLogger().logger, count = 200) {
    const file = path.join(tempDir(), 'app.db');
    const app = new Database(file);
    app.pragma('journal_mode = WAL');
    app.pragma('busy_timeout = 2000'); // a synchronous wait: the event loop stands still meanwhile
    app.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, n INTEGER)');
    const outbox = await Outbox.start(`sqlite:${file}`, {
      queues: { q: { partitions: 4, delivery } },
      tuning: { pollIntervalMs: 50 },
      logger,
    });
    let failed = 0;
    const started = Date.now();
    try {
      for (let i = 0; i < count; i++) {
        try {
          app.transaction(() => {
            app.prepare('INSERT INTO orders (n) VALUES (?)').run(i);
            outbox.enqueueSync(app, 'q', { type: 'T', key: `k${i % 7}`, payload: { i } });
          })();
        } catch {
          failed++;
        }
        await sleep(2);
      }
      await waitFor(async () => (await outbox.stats())[0].depth === 0, 20_000, 'every message delivered');
    } finally {
      await outbox.stop();
      app.close();
    }
    return { failed, ms: Date.now() - started };
  }

  it('never waits for a lock held by leased delivery or a synchronous transactional handler', async () => {
    const slowLeased = leased(async () => {
      await sleep(5);
      return Result.ok();
    });
    expect((await appWrites(slowLeased)).failed).toBe(0);
    const sync = transactional((m, { client }) => {
      (client as Database.Database).prepare('SELECT ?').get(m.id);
      return Result.ok();
    });
    expect((await appWrites(sync)).failed).toBe(0);
  }, 60_000);

  it('reports, once per queue, a transactional handler that waits for I/O or timers with the write lock held', async () => {
    const quick = recordingLogger();
    const onlyItsStatements = transactional(async (_m, { tx }) => {
      await tx.query('SELECT 1');
      return Result.ok();
    });
    expect((await appWrites(onlyItsStatements, quick.logger)).failed).toBe(0);
    expect(quick.warnings).toEqual([]);
    const slow = recordingLogger();
    const waiting = transactional(async () => {
      await sleep(20);
      return Result.ok();
    });
    await appWrites(waiting, slow.logger, 3);
    const held = slow.warnings.filter((w) => /holds SQLite's write lock/.test(w.msg ?? ''));
    expect(held).toHaveLength(1);
    expect(held[0].obj).toMatchObject({ queue: 'q' });
  }, 60_000);
});

describe('an outbox that stops on signals', () => {
  it('stops gracefully on SIGTERM, giving its leases back, and then lets the signal end the process', async () => {
    const file = path.join(tempDir(), 'app.db');
    const url = `sqlite:${file}`;
    const child = startChild(fixture('signal-consumer.ts'), [url, 'sig']);
    child.exited.catch(() => {}); // it ends by SIGTERM, which the helper counts as a failure
    expect(await child.ready).toBe('READY');
    const db = new Database(file);
    const producer = await Outbox.producer(url, { prefix: 'sig', queues: { q: { partitions: 1 } } });
    const enqueue = (n: number) =>
      db.transaction(() => producer.enqueueSync(db, 'q', { type: 'T', payload: n }))();
    enqueue(1);
    await waitFor(() => child.lines.includes('DELIVERED 1'), 5000, 'the child to take the partition');
    const seen: unknown[] = [];
    const other = await Outbox.start(url, {
      prefix: 'sig',
      tuning: { pollIntervalMs: 50 },
      queues: {
        q: {
          partitions: 1,
          delivery: leased((m) => {
            seen.push(m.payload);
            return Result.ok();
          }),
        },
      },
    });
    try {
      const exited = new Promise<NodeJS.Signals | null>((resolve) =>
        child.proc.on('exit', (_c, s) => resolve(s)),
      );
      child.proc.kill('SIGTERM');
      expect(await exited).toBe('SIGTERM');
      enqueue(2);
      await waitFor(() => seen.includes(2), 3000, 'this process to take the partition over at once');
    } finally {
      await other.stop();
      await producer.stop();
      db.close();
    }
  });
});

describe('two processes sharing an SQLite outbox, transactional delivery', () => {
  it('count each failed attempt once: exactly maxAttempts handler calls before the dead letter', async () => {
    const url = `sqlite:${path.join(tempDir(), 'app.db')}`;
    let calls = 0;
    const delivery = transactional(
      () => {
        calls++;
        return Result.retry({ delayMs: 5 });
      },
      { maxAttempts: 4 },
    );
    const start = () =>
      Outbox.start(url, {
        prefix: 'two',
        tuning: { pollIntervalMs: 20 },
        queues: { q: { partitions: 1, delivery } },
      });
    const [a, b] = [await start(), await start()];
    try {
      const db = new Database(url.slice('sqlite:'.length));
      db.transaction(() => a.enqueueSync(db, 'q', { type: 'T', payload: 1 }))();
      db.close();
      await waitFor(async () => (await a.deadLetters.list()).length === 1, 10_000, 'the dead letter');
      expect(calls).toBe(4);
      expect((await a.deadLetters.list())[0]).toMatchObject({ attempts: 4 });
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

describe('Outbox.migrate', () => {
  it('applies the schema once, then finds it current, and an outbox verifying it starts', async () => {
    const url = `sqlite:${path.join(tempDir(), 'app.db')}`;
    const first = await Outbox.migrate(url);
    expect(first.applied.map((m) => m.version)).toEqual([1, 2]);
    expect(first.version).toBe(2);
    expect((await Outbox.migrate(url)).applied).toEqual([]);
    const o = await Outbox.producer(url, { migrate: 'verify', queues: { q: { partitions: 1 } } });
    await o.stop();
  });
});
