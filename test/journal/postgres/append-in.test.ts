import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coordinate, leased, Outbox, Result, relayToOutbox } from '../../../src/index.js';
import { PostgresJournal } from '../../../src/journal/postgres/journal.js';
import { PG_URL, postgresKind, requireOrSkip } from '../../outbox/databases.js';

const available = await requireOrSkip(postgresKind);

describe.skipIf(!available)("appending in the caller's PostgreSQL transaction", () => {
  const database = `causeway_appendin_${process.pid}`;
  let url: string;
  let admin: pg.Pool;
  let pool: pg.Pool;
  beforeAll(async () => {
    admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
    await admin.query(`CREATE DATABASE ${database}`);
    const u = new URL(PG_URL);
    u.pathname = `/${database}`;
    url = u.href;
    pool = new pg.Pool({ connectionString: url, max: 5 });
    pool.on('error', () => {}); // the application's pool: dropping the database ends its idle sessions
    await pool.query('CREATE TABLE orders (id text PRIMARY KEY, total integer)');
  });
  afterAll(async () => {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('commits the event, an outbox message and the application row together, or none of them', async () => {
    const journal = await PostgresJournal.open(pool, { schema: 'shop_journal' });
    const delivered: unknown[] = [];
    const outbox = await Outbox.start(pool, {
      queues: {
        mail: {
          partitions: 1,
          delivery: leased(async (m) => {
            delivered.push(m.payload);
            return Result.ok();
          }),
        },
      },
    });
    try {
      const placeOrder = async (id: string, fail: boolean) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query('INSERT INTO orders VALUES ($1, 42)', [id]);
          const pending = await journal.appendIn(client, coordinate(`order:${id}`, 'shop'), {
            type: 'OrderPlaced',
            data: { total: 42 },
          });
          await outbox.enqueue(client, 'mail', { type: 'Confirm', key: id, payload: { id } });
          if (fail) throw new Error('the application changed its mind');
          await client.query('COMMIT');
          return pending;
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        } finally {
          client.release();
        }
      };

      await expect(placeOrder('o-1', true)).rejects.toThrow('changed its mind');
      expect((await pool.query(`SELECT count(*)::int AS n FROM orders`)).rows[0].n).toBe(0);
      expect((await journal.stats()).events).toBe(0);
      expect((await outbox.stats())[0].depth).toBe(0);

      const pending = await placeOrder('o-2', false);
      expect(pending).toMatchObject({ entity: 'order:o-2', streamVersion: 0, deduplicated: false });
      const [receipt] = await journal.sequenced([pending]);
      expect(receipt).toMatchObject({ id: pending.id, position: 1, streamVersion: 0 });
      expect((await journal.readStream('order:o-2')).map((e) => e.data)).toEqual([{ total: 42 }]);
      expect((await pool.query(`SELECT count(*)::int AS n FROM orders`)).rows[0].n).toBe(1);
      const deadline = Date.now() + 10_000;
      while (delivered.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(delivered).toEqual([{ id: 'o-2' }]);
      expect((await journal.verify()).ok).toBe(true);
    } finally {
      await outbox.stop();
      await journal.close();
    }
  });

  it('relays its events to an outbox queue once, even when a second relay reads them all again', async () => {
    const journal = await PostgresJournal.open(pool, { schema: 'relay_journal' });
    const delivered: string[] = [];
    const outbox = await Outbox.start(pool, {
      prefix: 'relay_outbox',
      queues: {
        events: {
          partitions: 2,
          delivery: leased(async (m) => {
            delivered.push(m.headers['event-id']);
            return Result.ok();
          }),
        },
      },
    });
    try {
      const ids: string[] = [];
      for (let n = 1; n <= 5; n++)
        ids.push(
          (await journal.append(coordinate(`order:${n}`, 'shop'), { type: 'OrderPlaced', data: { n } })).id,
        );
      const relay = relayToOutbox(journal, outbox, { region: { types: ['OrderPlaced'] }, queue: 'events' });
      const deadline = Date.now() + 10_000;
      while (delivered.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await relay.stopAndJoin();
      // Another relay with a checkpoint of its own reads every event again: the ids dedupe them.
      const again = relayToOutbox(journal, outbox, {
        region: { types: ['OrderPlaced'] },
        queue: 'events',
        name: 'again',
      });
      while (again.committed < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await again.stopAndJoin();
      await new Promise((r) => setTimeout(r, 200));
      expect([...delivered].sort()).toEqual([...ids].sort());
    } finally {
      await outbox.stop();
      await journal.close();
    }
  });

  it('is sequenced by a process that did not append it, without being asked', async () => {
    const writer = await PostgresJournal.open(pool, { schema: 'shop_journal2', pollIntervalMs: 600_000 });
    const other = await PostgresJournal.open(url, { schema: 'shop_journal2', pollIntervalMs: 20 });
    try {
      const client = await pool.connect();
      await client.query('BEGIN');
      const pending = await writer.appendIn(client, coordinate('order:9', 'shop'), {
        type: 'OrderPlaced',
        data: {},
      });
      await client.query('COMMIT');
      client.release();
      // Reads never sequence: only the other process's own look for leftovers can have done it.
      const deadline = Date.now() + 5000;
      let event = await other.get(pending.id);
      while (event === undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        event = await other.get(pending.id);
      }
      expect(event?.position).toBe(1);
    } finally {
      await writer.close();
      await other.close();
    }
  });
});

describe.skipIf(!available)('a transaction held open on a journal on PostgreSQL', () => {
  it('delays no other appender, and its event takes the next position when it commits', async () => {
    const schema = `journal_held${process.pid}`;
    const journal = await PostgresJournal.open(PG_URL, { schema });
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query('BEGIN');
      const held = await journal.appendIn(client, coordinate('order:held', 'shop'), {
        type: 'Placed',
        data: {},
      });
      const started = Date.now();
      const others = [];
      for (let i = 0; i < 20; i++)
        others.push(await journal.append(coordinate(`order:${i}`, 'shop'), { type: 'Placed', data: {} }));
      expect(others.map((r) => r.position)).toEqual(others.map((_, i) => i + 1));
      expect(Date.now() - started).toBeLessThan(5_000); // nothing waited for the open transaction
      await client.query('COMMIT');
      const [receipt] = await journal.sequenced([held]);
      expect(receipt.position).toBe(21);
      expect((await journal.verify()).ok).toBe(true);
    } finally {
      await client.end();
      await journal.close();
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });
});
