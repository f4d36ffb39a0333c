/**
 * The PostgreSQL journal's edges: closing with appends in flight, transactions left open holding
 * idempotency keys, and input the database would otherwise refuse with an untyped error.
 */
import { describe, expect, it } from 'vitest';
import { CausewayError, coordinate, JournalClosed } from '../../../src/index.js';
import { PostgresJournal } from '../../../src/journal/postgres/journal.js';
import { PG_URL } from '../../outbox/databases.js';
import { expectJournalIntact } from './intact.js';
import { journalSchemas } from './schemas.js';

const { available, admin, newSchema } = await journalSchemas();

describe.skipIf(!available)('the PostgreSQL journal at its edges', () => {
  it('close() lets the appends in flight finish with their receipts, and refuses new ones with JournalClosed', async () => {
    const schema = newSchema('close');
    const journal = await PostgresJournal.open(PG_URL, { schema });
    const appends = Array.from({ length: 200 }, (_, i) =>
      journal.append(coordinate(`order:${i % 7}`, 'shop'), { type: 'Tick', data: { i } }),
    );
    await new Promise((r) => setTimeout(r, 5));
    const closing = journal.close();
    await expect(
      journal.append(coordinate('order:0', 'shop'), { type: 'Late', data: {} }),
    ).rejects.toBeInstanceOf(JournalClosed);
    const outcomes = await Promise.allSettled(appends);
    await closing;
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    const acked = outcomes.map((o) => (o as PromiseFulfilledResult<{ id: string }>).value.id);
    const check = await PostgresJournal.open(PG_URL, { schema });
    try {
      const events = await expectJournalIntact(check, admin, schema, acked);
      expect(events).toHaveLength(200);
    } finally {
      await check.close();
    }
  });

  it("an idempotency key held by an open transaction holds up only the append that repeats it, not the process's others", async () => {
    const schema = newSchema('keyheld');
    const journal = await PostgresJournal.open(PG_URL, { schema });
    const client = await admin.connect();
    try {
      await client.query('BEGIN');
      await journal.appendIn(
        client,
        coordinate('a:1', 'shop'),
        { type: 'T', data: {} },
        { idempotencyKey: 'K' },
      );
      // Two appends fill the calls in flight, so what follows travels together in one call.
      const warm = [0, 1].map((i) => journal.append(coordinate(`w:${i}`, 'shop'), { type: 'T', data: {} }));
      // Its outcome comes when the key's transaction ends: caught now, so it is never unheard.
      const repeat = journal
        .append(coordinate('b:1', 'shop'), { type: 'T', data: {} }, { idempotencyKey: 'K' })
        .catch((err: unknown) => err);
      const started = Date.now();
      await Promise.all([
        ...warm,
        ...Array.from({ length: 20 }, (_, i) =>
          journal.append(coordinate(`c:${i}`, 'shop'), { type: 'T', data: {} }),
        ),
      ]);
      expect(Date.now() - started).toBeLessThan(2000);
      await client.query('COMMIT');
      // The repeat waited for the key's transaction, then found the key used for another event.
      expect(await repeat).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    } finally {
      client.release();
      await journal.close();
    }
  });

  it('refuses positions beyond the safe integers, ids that are not ids, and schemas that are not its own, with typed errors', async () => {
    const schema = newSchema('input');
    const journal = await PostgresJournal.open(PG_URL, { schema });
    try {
      await expect(journal.readAll({ after: 1e20 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(
        journal.sequenced([{ id: 'nope', entity: 'order:1', streamVersion: 0, deduplicated: false }]),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    } finally {
      await journal.close();
    }
    for (const name of ['public', 'pg_catalog', 'pg_toast', 'information_schema']) {
      const opened = PostgresJournal.open(PG_URL, { schema: name });
      await expect(opened).rejects.toBeInstanceOf(CausewayError);
      await expect(opened).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});
