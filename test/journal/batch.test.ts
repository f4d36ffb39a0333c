import { describe, expect, it } from 'vitest';
import { coordinate, open } from '../../src/index.js';
import { freshJournal, track } from '../helpers.js';

const a = coordinate('order:1', 'shop');
const b = coordinate('order:2', 'shop');

describe('appendBatch', () => {
  it('appends every item with consecutive positions and chains within the batch', () => {
    const { journal } = freshJournal();
    journal.append(a, { type: 'Seed', data: 0 });
    const receipts = journal.appendBatch([
      { coordinate: a, event: { type: 'X', data: 1 } },
      { coordinate: b, event: { type: 'Y', data: 2 } },
      { coordinate: a, event: { type: 'Z', data: 3 } },
    ]);
    expect(receipts.map((r) => r.position)).toEqual([2, 3, 4]);
    expect(receipts.map((r) => r.streamVersion)).toEqual([1, 0, 2]);
    expect(receipts[2].prevHash).toBe(receipts[0].hash);
    expect(journal.verify().ok).toBe(true);
  });

  it.each([127, 128, 255, 256, 1000, 70_000])(
    'batches of %i events are readable, before and after reopening',
    (size) => {
      const { journal, dir } = freshJournal();
      const receipts = journal.appendBatch(
        Array.from({ length: size }, (_, i) => ({
          coordinate: i % 2 ? a : b,
          event: { type: 'X', data: i },
        })),
      );
      const check = (j: typeof journal) => {
        for (const i of [0, 1, Math.floor(size / 2), size - 1]) expect(j.get(receipts[i].id)?.data).toBe(i);
        expect(j.readAll({ limit: size }).events).toHaveLength(size);
      };
      check(journal);
      journal.close();
      const reopened = track(open(dir));
      expect(reopened.openReport().path).toBe('snapshot');
      check(reopened);
    },
  );

  it('checks expected versions per item, in order, counting earlier items', () => {
    const { journal } = freshJournal();
    const receipts = journal.appendBatch([
      { coordinate: a, event: { type: 'X', data: 1 }, options: { expectedVersion: 'no-stream' } },
      { coordinate: a, event: { type: 'X', data: 2 }, options: { expectedVersion: 0 } },
      { coordinate: a, event: { type: 'X', data: 3 }, options: { expectedVersion: 1 } },
    ]);
    expect(receipts.map((r) => r.streamVersion)).toEqual([0, 1, 2]);
  });

  it('writes nothing when any item fails', () => {
    const { journal } = freshJournal();
    journal.append(a, { type: 'Seed', data: 0 });
    const bytes = journal.stats().bytes;
    expect(() =>
      journal.appendBatch([
        { coordinate: b, event: { type: 'X', data: 1 } },
        { coordinate: a, event: { type: 'X', data: 2 }, options: { expectedVersion: 5 } },
      ]),
    ).toThrow(expect.objectContaining({ code: 'WRONG_EXPECTED_VERSION' }));
    expect(() =>
      journal.appendBatch([
        { coordinate: b, event: { type: 'X', data: 1 } },
        { coordinate: b, event: { type: 'X', data: () => 1 } },
      ]),
    ).toThrow(expect.objectContaining({ code: 'UNSERIALIZABLE_DATA' }));
    expect(journal.stats().bytes).toBe(bytes);
    expect(journal.streamVersion('order:2')).toBeUndefined();
    expect(journal.watermarks().visible).toBe(1);
  });

  it('lets an item name an earlier item as its cause, inheriting its correlation', () => {
    const { journal } = freshJournal();
    const [placed, reserved, shipped] = journal.appendBatch([
      { coordinate: a, event: { type: 'Placed', data: {} } },
      { coordinate: b, event: { type: 'Reserved', data: {} }, options: { causedByItem: 0 } },
      { coordinate: b, event: { type: 'Shipped', data: {} }, options: { causedByItem: 1 } },
    ]);
    expect(journal.get(reserved.id)).toMatchObject({ causationId: placed.id, correlationId: placed.id });
    expect(journal.get(shipped.id)).toMatchObject({ causationId: reserved.id, correlationId: placed.id });
  });

  it('rejects a cause that is not an earlier item', () => {
    const { journal } = freshJournal();
    for (const causedByItem of [0, 1, -1, 0.5]) {
      expect(() =>
        journal.appendBatch([
          { coordinate: a, event: { type: 'X', data: 1 } },
          {
            coordinate: a,
            event: { type: 'X', data: 1 },
            options: { causedByItem: causedByItem === 0 ? 1 : causedByItem },
          },
        ]),
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(journal.watermarks().visible).toBe(0);
  });

  it('rejects an empty batch and a key used twice within one batch', () => {
    const { journal } = freshJournal();
    expect(() => journal.appendBatch([])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() =>
      journal.appendBatch([
        { coordinate: a, event: { type: 'X', data: 1 }, options: { idempotencyKey: 'k' } },
        { coordinate: b, event: { type: 'X', data: 1 }, options: { idempotencyKey: 'k' } },
      ]),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('returns the original receipts when a fully keyed batch is retried', () => {
    const { journal, dir } = freshJournal();
    const items = [
      { coordinate: a, event: { type: 'X', data: 1 }, options: { idempotencyKey: 'k1' } },
      {
        coordinate: b,
        event: { type: 'Y', data: 2 },
        options: { idempotencyKey: 'k2', expectedVersion: 'no-stream' as const },
      },
    ];
    const first = journal.appendBatch(items);
    const retry = journal.appendBatch(items);
    expect(retry.map((r) => ({ ...r, deduplicated: false }))).toEqual(first);
    expect(retry.every((r) => r.deduplicated)).toBe(true);
    journal.close();
    const reopened = track(open(dir));
    expect(reopened.appendBatch(items).map((r) => r.id)).toEqual(first.map((r) => r.id));
    expect(reopened.watermarks().visible).toBe(2);
  });

  it('refuses a batch that mixes already-appended keyed items with new ones', () => {
    const { journal } = freshJournal();
    journal.append(a, { type: 'X', data: 1 }, { idempotencyKey: 'k1' });
    expect(() =>
      journal.appendBatch([
        { coordinate: a, event: { type: 'X', data: 1 }, options: { idempotencyKey: 'k1' } },
        { coordinate: b, event: { type: 'Y', data: 2 } },
      ]),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(journal.watermarks().visible).toBe(1);
  });
});

describe('idempotency keys', () => {
  it('return the first receipt for the same event, even with a now-stale expected version', () => {
    const { journal } = freshJournal();
    const first = journal.append(
      a,
      { type: 'X', data: { n: 1 } },
      { idempotencyKey: 'pay-1', expectedVersion: 'no-stream' },
    );
    const again = journal.append(
      a,
      { type: 'X', data: { n: 1 } },
      { idempotencyKey: 'pay-1', expectedVersion: 'no-stream' },
    );
    expect(again).toEqual({ ...first, deduplicated: true });
    expect(journal.watermarks().visible).toBe(1);
  });

  it('fail with IdempotencyConflict when reused for a different event', () => {
    const { journal } = freshJournal();
    journal.append(a, { type: 'X', data: { n: 1 } }, { idempotencyKey: 'pay-1' });
    for (const [coord, event] of [
      [a, { type: 'X', data: { n: 2 } }],
      [a, { type: 'Y', data: { n: 1 } }],
      [b, { type: 'X', data: { n: 1 } }],
      [a, { type: 'X', data: { n: 1 }, metadata: { m: 1 } }],
      [a, { type: 'X', data: { n: 1 }, payloadVersion: 2 }],
    ] as const) {
      expect(() => journal.append(coord, event, { idempotencyKey: 'pay-1' })).toThrow(
        expect.objectContaining({ code: 'IDEMPOTENCY_CONFLICT', details: { key: 'pay-1' } }),
      );
    }
    expect(journal.watermarks().visible).toBe(1);
  });

  it('survive close and reopen, from the snapshot and by rebuild', async () => {
    const { journal, dir } = freshJournal();
    const first = journal.append(a, { type: 'X', data: 1 }, { idempotencyKey: 'k' });
    journal.close();
    const fromSnapshot = open(dir);
    expect(fromSnapshot.openReport().path).toBe('snapshot');
    expect(fromSnapshot.append(a, { type: 'X', data: 1 }, { idempotencyKey: 'k' }).id).toBe(first.id);
    expect(() => fromSnapshot.append(a, { type: 'X', data: 2 }, { idempotencyKey: 'k' })).toThrow(
      /idempotency/,
    );
    fromSnapshot.close();
    const fs = await import('node:fs');
    fs.rmSync(`${dir}/index.snap`);
    const rebuilt = track(open(dir));
    expect(rebuilt.openReport().path).toBe('rebuild');
    expect(rebuilt.append(a, { type: 'X', data: 1 }, { idempotencyKey: 'k' })).toMatchObject({
      id: first.id,
      deduplicated: true,
    });
  });
});
