import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { leased, Outbox, Result, transactional } from '../../src/index.js';
import { ownPoolSettings } from '../../src/outbox/connect.js';
import { outboxPool } from '../../src/outbox/dialects/postgres/connection.js';
import { recordingLogger } from '../helpers.js';
import { defineConformance, waitFor } from './conformance.js';
import { PG_URL, postgresKind } from './databases.js';

await defineConformance(postgresKind);

describe.skipIf(!(await postgresKind.available()))('dedupe on PostgreSQL under REPEATABLE READ', () => {
  it('a key committed since the transaction began is a typed, retryable error, never a second message', async () => {
    const db = await postgresKind.create();
    const o = await Outbox.producer(db.url, { prefix: db.prefix, queues: { q: { partitions: 1 } } });
    try {
      const attempt = db.transaction(async (tx) => {
        const client = tx as { query(sql: string): Promise<unknown> };
        await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        await client.query(`SELECT COUNT(*) FROM ${db.prefix}_queues`);
        await db.transaction((tx2) => o.enqueue(tx2, 'q', { type: 'T', payload: 1, dedupeKey: 'k' }));
        return o.enqueue(tx, 'q', { type: 'T', payload: 2, dedupeKey: 'k' });
      });
      await expect(attempt).rejects.toMatchObject({ code: 'DATABASE_ERROR', retryable: true });
      expect((await o.stats())[0].depth).toBe(1);
    } finally {
      await o.stop();
      await db.close();
    }
  });
});

describe.skipIf(!(await postgresKind.available()))('a transactional handler on PostgreSQL', () => {
  it('that goes on after a failed statement has its attempt counted, and is dead-lettered in the end', async () => {
    const db = await postgresKind.create();
    let calls = 0;
    const delivered: unknown[] = [];
    const o = await Outbox.start(db.url, {
      prefix: db.prefix,
      tuning: { pollIntervalMs: 100 },
      queues: {
        q: {
          partitions: 1,
          delivery: transactional(
            async (m, { tx }) => {
              if ((m.payload as { bad?: boolean }).bad) {
                calls++;
                await tx.query('SELECT 1 / 0').catch(() => {}); // swallowed: the transaction is aborted now
              } else delivered.push(m.payload);
              return Result.ok();
            },
            { maxAttempts: 2, retryBackoff: { initialMs: 10, maxMs: 20 } },
          ),
        },
      },
    });
    try {
      await db.transaction((tx) =>
        o.enqueueBatch(tx, 'q', [
          { type: 'T', payload: { bad: true } },
          { type: 'T', payload: { n: 2 } },
        ]),
      );
      await waitFor(() => delivered.length === 1, 10_000, 'the message after it');
      const [letter] = await o.deadLetters.list();
      expect(calls).toBe(2);
      expect(letter).toMatchObject({ payload: { bad: true }, attempts: 2 });
      expect(letter.lastError).toMatch(/aborted/);
    } finally {
      await o.stop();
      await db.close();
    }
  });
});

describe.skipIf(!(await postgresKind.available()))('lease heartbeats on PostgreSQL', () => {
  it('go on after one fails, so a long handler keeps its lease and its message is delivered once', async () => {
    const db = await postgresKind.create();
    const calls: number[] = [];
    const o = await Outbox.start(`${db.url}?application_name=${db.prefix}`, {
      prefix: db.prefix,
      queues: {
        q: {
          partitions: 1,
          delivery: leased(
            async (m) => {
              calls.push(m.seq);
              await new Promise((r) => setTimeout(r, 3000)); // three times the lease
              return Result.ok();
            },
            { leaseMs: 1000 },
          ),
        },
      },
    });
    try {
      await db.transaction((tx) => o.enqueue(tx, 'q', { type: 'T', payload: 1 }));
      await waitFor(() => calls.length === 1);
      // Hold the lease row, so the next heartbeat waits on it; then end that heartbeat's session.
      const blocker = await db.transaction(async (tx) => {
        const client = tx as { query(sql: string): Promise<{ rows: { pid: number }[] }> };
        await client.query(`SELECT 1 FROM ${db.prefix}_processors FOR UPDATE`);
        let heartbeat: number | undefined;
        for (let i = 0; i < 100 && heartbeat === undefined; i++) {
          const waiting = await client.query(
            `SELECT pid FROM pg_stat_activity WHERE application_name = '${db.prefix}' AND wait_event_type = 'Lock'`,
          );
          heartbeat = waiting.rows[0]?.pid;
          if (heartbeat === undefined) await new Promise((r) => setTimeout(r, 20));
        }
        expect(heartbeat).toBeDefined();
        await client.query(`SELECT pg_terminate_backend(${heartbeat})`);
        return heartbeat;
      });
      expect(blocker).toBeGreaterThan(0);
      await waitFor(async () => (await o.stats())[0].depth === 0, 10_000, 'the acknowledgement');
      expect(calls).toEqual([1]);
      expect((await o.stats())[0].leasesLost).toBe(0);
    } finally {
      await o.stop();
      await db.close();
    }
  }, 30_000);
});

describe.skipIf(!(await postgresKind.available()))("the outbox's own PostgreSQL sessions", () => {
  it('keep the settings an options parameter of the URL gives, beside their own', async () => {
    const url = new URL(PG_URL);
    url.searchParams.set('options', '-c statement_timeout=12345');
    const pool = outboxPool({ connectionString: url.href }, recordingLogger().logger);
    try {
      const setting = async (name: string) => (await pool.query(`SHOW ${name}`)).rows[0][name];
      expect(await setting('statement_timeout')).toBe('12345ms');
      expect(await setting('synchronous_commit')).toBe('off');
    } finally {
      await pool.end();
    }
  });
});

describe("an application's pg Pool", () => {
  it('gives the outbox its password, which pg keeps out of the enumerable options', () => {
    const pool = new pg.Pool({ host: '127.0.0.1', user: 'app', password: 's3cret', database: 'app' });
    expect({ ...pool.options }).not.toHaveProperty('password'); // why a spread copy is not enough
    expect(ownPoolSettings(pool)).toMatchObject({ password: 's3cret', user: 'app', max: 10 });
    void pool.end();
  });
});
