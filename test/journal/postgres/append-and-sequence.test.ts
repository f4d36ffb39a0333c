import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coordinate } from '../../../src/index.js';
import { computeEventHash } from '../../../src/journal/event-hash.js';
import { PayloadVersions } from '../../../src/journal/payload-versions.js';
import { type AppendContext, Appender } from '../../../src/journal/postgres/append.js';
import { migrateJournal } from '../../../src/journal/postgres/migrate.js';
import { recordOfRow } from '../../../src/journal/postgres/records.js';
import { leadSequencing } from '../../../src/journal/postgres/sequencer.js';
import { journalStatements } from '../../../src/journal/postgres/statements.js';
import { journalTables } from '../../../src/journal/postgres/tables.js';
import { PG_URL, postgresKind, requireOrSkip } from '../../outbox/databases.js';

const available = await requireOrSkip(postgresKind);
const order = (n: number) => coordinate(`order:${n}`, 'shop');

describe.skipIf(!available)('appending to and sequencing a journal on PostgreSQL', () => {
  let pool: pg.Pool;
  const schemas: string[] = [];
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: PG_URL, max: 10 });
  });
  afterAll(async () => {
    for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await pool.end();
  });

  /** Appends one batch alone, as a process with nothing else in flight does. */
  const appendItems = (ctx: AppendContext, items: Parameters<Appender['append']>[0]) =>
    new Appender(ctx).append(items);

  async function freshJournal(): Promise<AppendContext> {
    const schema = `journal_a${process.pid}_${schemas.length}`;
    schemas.push(schema);
    await migrateJournal(pool, schema, 'auto');
    const st = journalStatements(journalTables(schema));
    return { pool, st, versions: new PayloadVersions(), requireGates: false, maxEventBytes: 1 << 20 };
  }

  /** Every logged event in position order, with its hash recomputed from what is stored. */
  async function logged(ctx: AppendContext) {
    const t = ctx.st.tables;
    const { rows } = await pool.query(
      `SELECT l.position, l.prev_hash, l.hash, e.* FROM ${t.log} l JOIN ${t.events} e ON e.pk = l.event_pk ORDER BY l.position`,
    );
    return rows.map((row) => {
      const record = recordOfRow(row);
      return { record, rehashed: computeEventHash(record) };
    });
  }

  it('gives committed events dense positions and per-stream hash chains that verify as the embedded ones do', async () => {
    const ctx = await freshJournal();
    await appendItems(ctx, [{ coordinate: order(1), event: { type: 'Placed', data: { total: 1 } } }]);
    await appendItems(ctx, [
      { coordinate: order(2), event: { type: 'Placed', data: {} } },
      { coordinate: order(1), event: { type: 'Paid', data: { amount: 1 } }, options: { causedByItem: 0 } },
    ]);
    expect(await leadSequencing(pool, ctx.st)).toEqual({ led: true, sequenced: 3 });
    expect(await leadSequencing(pool, ctx.st)).toEqual({ led: true, sequenced: 0 });
    const events = await logged(ctx);
    expect(events.map((e) => [e.record.position, e.record.entity, e.record.streamVersion])).toEqual([
      [1, 'order:1', 0],
      [2, 'order:2', 0],
      [3, 'order:1', 1],
    ]);
    for (const e of events) expect(e.rehashed.equals(e.record.hash)).toBe(true);
    expect(events[2].record.prevHash.equals(events[0].record.hash)).toBe(true);
    expect(events[2].record.causation!.equals(events[1].record.id)).toBe(true);
    expect(events[2].record.correlation.equals(events[1].record.correlation)).toBe(true);
  });

  it('checks expected versions against committed appends, sequenced or not, and writes nothing on a refusal', async () => {
    const ctx = await freshJournal();
    await appendItems(ctx, [
      {
        coordinate: order(1),
        event: { type: 'Placed', data: {} },
        options: { expectedVersion: 'no-stream' },
      },
    ]);
    await expect(
      appendItems(ctx, [
        {
          coordinate: order(1),
          event: { type: 'Placed', data: {} },
          options: { expectedVersion: 'no-stream' },
        },
      ]),
    ).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION' });
    await appendItems(ctx, [
      { coordinate: order(1), event: { type: 'Paid', data: {} }, options: { expectedVersion: 0 } },
    ]);
    await expect(
      appendItems(ctx, [
        { coordinate: order(2), event: { type: 'Placed', data: {} } },
        { coordinate: order(1), event: { type: 'Paid', data: {} }, options: { expectedVersion: 0 } },
      ]),
    ).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION' });
    await expect(
      appendItems(ctx, [{ coordinate: coordinate('order:1', 'other'), event: { type: 'Paid', data: {} } }]),
    ).rejects.toMatchObject({ code: 'SCOPE_MISMATCH' });
    expect((await leadSequencing(pool, ctx.st)).sequenced).toBe(2);
  });

  it('answers a retry with the same idempotency key with the original, and refuses the key for another event', async () => {
    const ctx = await freshJournal();
    const first = await appendItems(ctx, [
      {
        coordinate: order(1),
        event: { type: 'Placed', data: { a: 1, b: 2 } },
        options: { idempotencyKey: 'k' },
      },
    ]);
    expect(first).toHaveProperty('pks');
    const again = await appendItems(ctx, [
      {
        coordinate: order(1),
        event: { type: 'Placed', data: { b: 2, a: 1 } },
        options: { idempotencyKey: 'k' },
      },
    ]);
    expect(again).toHaveProperty('duplicateOf');
    await expect(
      appendItems(ctx, [
        { coordinate: order(1), event: { type: 'Placed', data: { a: 3 } }, options: { idempotencyKey: 'k' } },
      ]),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect((await leadSequencing(pool, ctx.st)).sequenced).toBe(1);
  });

  it('loses nothing when many appenders race on the same streams, and keeps every chain contiguous', async () => {
    const ctx = await freshJournal();
    const appenders = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; i < 25; i++)
        await appendItems(ctx, [{ coordinate: order(i % 3), event: { type: 'Tick', data: { w, i } } }]);
    });
    const sequencing = (async () => {
      for (let i = 0; i < 20; i++) await leadSequencing(pool, ctx.st, undefined, 7);
    })();
    await Promise.all([...appenders, sequencing]);
    while ((await leadSequencing(pool, ctx.st)).sequenced > 0);
    const events = await logged(ctx);
    expect(events.map((e) => e.record.position)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    for (const n of [0, 1, 2]) {
      const stream = events.filter((e) => e.record.entity === `order:${n}`);
      expect(stream.map((e) => e.record.streamVersion)).toEqual(stream.map((_, v) => v));
      for (let v = 1; v < stream.length; v++)
        expect(stream[v].record.prevHash.equals(stream[v - 1].record.hash)).toBe(true);
    }
    for (const e of events) expect(e.rehashed.equals(e.record.hash)).toBe(true);
  });

  it('refuses malformed input before writing anything', async () => {
    const ctx = await freshJournal();
    const bad = [
      () => appendItems(ctx, [{ coordinate: order(1), event: { type: '', data: {} } }]),
      () =>
        appendItems(ctx, [
          { coordinate: order(1), event: { type: 'T', data: {} }, options: { expectedVersion: -1 } },
        ]),
      () =>
        appendItems(ctx, [
          { coordinate: order(1), event: { type: 'T', data: {} }, options: { causedBy: 'nope' } },
        ]),
      () =>
        appendItems(ctx, [
          {
            coordinate: order(1),
            event: { type: 'T', data: {} },
            options: { causedBy: '0190f000-0000-7000-8000-000000000000' },
          },
        ]),
      () => appendItems(ctx, [{ coordinate: order(1), event: { type: 'T', data: 'x'.repeat(2 << 20) } }]),
    ];
    for (const call of bad) await expect(call()).rejects.toHaveProperty('code');
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${ctx.st.tables.events}`);
    expect(rows[0].n).toBe(0);
  });
});
