import { describe, expect, it } from 'vitest';
import { Outbox } from '../../src/index.js';
import { defineConformance } from './conformance.js';
import { postgresKind } from './databases.js';

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
