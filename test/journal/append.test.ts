import { describe, expect, it } from 'vitest';
import { coordinate, open } from '../../src/index.js';
import { freshJournal, track } from '../helpers.js';

const order = coordinate('order:1', 'shop');

describe('append', () => {
  it('returns a receipt with dense global positions and per-stream versions from 0', () => {
    const { journal } = freshJournal();
    const a = journal.append(order, { type: 'Placed', data: { total: 3 } });
    const b = journal.append(coordinate('order:2', 'shop'), { type: 'Placed', data: {} });
    const c = journal.append(order, { type: 'Paid', data: {} });
    expect([a.position, b.position, c.position]).toEqual([1, 2, 3]);
    expect([a.streamVersion, b.streamVersion, c.streamVersion]).toEqual([0, 0, 1]);
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    expect(a.prevHash).toBe('0'.repeat(64));
    expect(c.prevHash).toBe(a.hash);
    expect(a.deduplicated).toBe(false);
  });

  it('stores type, data, metadata, payload version and a non-decreasing timestamp', () => {
    const { journal } = freshJournal();
    const data = {
      n: 1,
      big: 2n ** 60n,
      when: new Date(5),
      bytes: new Uint8Array([1, 2]),
      list: [null, 'x'],
    };
    const r = journal.append(order, { type: 'Placed', data, metadata: { user: 'ann' }, payloadVersion: 3 });
    const e = journal.get(r.id)!;
    expect(e).toMatchObject({
      type: 'Placed',
      entity: 'order:1',
      scope: 'shop',
      payloadVersion: 3,
      metadata: { user: 'ann' },
    });
    expect(e.data).toEqual({ ...data, bytes: Buffer.from([1, 2]) });
    const later = journal.append(order, { type: 'Paid', data: null });
    expect(journal.get(later.id)!.timestamp).toBeGreaterThanOrEqual(e.timestamp);
  });

  it('defaults the correlation id to the event id and leaves causation empty', () => {
    const { journal } = freshJournal();
    const r = journal.append(order, { type: 'Placed', data: {} });
    expect(journal.get(r.id)).toMatchObject({ correlationId: r.id, causationId: null });
  });

  describe('expected version', () => {
    it("'no-stream' accepts a new stream and rejects an existing one", () => {
      const { journal } = freshJournal();
      journal.append(order, { type: 'A', data: 1 }, { expectedVersion: 'no-stream' });
      expect(() => journal.append(order, { type: 'A', data: 1 }, { expectedVersion: 'no-stream' })).toThrow(
        expect.objectContaining({
          code: 'WRONG_EXPECTED_VERSION',
          details: { stream: 'order:1', expected: 'no-stream', actual: 0 },
        }),
      );
    });

    it('distinguishes "no stream" from "a stream with one event"', () => {
      const { journal } = freshJournal();
      expect(() => journal.append(order, { type: 'A', data: 1 }, { expectedVersion: 0 })).toThrow(
        expect.objectContaining({ details: expect.objectContaining({ actual: 'no-stream' }) }),
      );
      journal.append(order, { type: 'A', data: 1 });
      expect(journal.append(order, { type: 'A', data: 1 }, { expectedVersion: 0 }).streamVersion).toBe(1);
    });

    it("'stream-exists' requires the stream", () => {
      const { journal } = freshJournal();
      expect(() =>
        journal.append(order, { type: 'A', data: 1 }, { expectedVersion: 'stream-exists' }),
      ).toThrow(/no-stream/);
      journal.append(order, { type: 'A', data: 1 });
      expect(
        journal.append(order, { type: 'A', data: 1 }, { expectedVersion: 'stream-exists' }).streamVersion,
      ).toBe(1);
    });

    it('rejects a stale number and leaves the stream unchanged', () => {
      const { journal } = freshJournal();
      journal.append(order, { type: 'A', data: 1 });
      journal.append(order, { type: 'A', data: 1 });
      expect(() => journal.append(order, { type: 'A', data: 1 }, { expectedVersion: 0 })).toThrow(
        expect.objectContaining({
          code: 'WRONG_EXPECTED_VERSION',
          details: { stream: 'order:1', expected: 0, actual: 1 },
        }),
      );
      expect(journal.streamVersion('order:1')).toBe(1);
      expect(journal.watermarks().visible).toBe(2);
    });
  });

  describe('bad input changes nothing', () => {
    const cases: [string, (j: ReturnType<typeof freshJournal>['journal']) => unknown, string][] = [
      [
        'an empty entity',
        (j) => j.append({ entity: '', scope: 's' }, { type: 'A', data: 1 }),
        'INVALID_COORDINATE',
      ],
      [
        'an entity with whitespace',
        (j) => j.append({ entity: 'a b', scope: 's' }, { type: 'A', data: 1 }),
        'INVALID_COORDINATE',
      ],
      [
        'an entity with an empty part',
        (j) => j.append({ entity: 'a::b', scope: 's' }, { type: 'A', data: 1 }),
        'INVALID_COORDINATE',
      ],
      [
        'a missing scope',
        (j) => j.append({ entity: 'a' } as never, { type: 'A', data: 1 }),
        'INVALID_COORDINATE',
      ],
      ['an empty type', (j) => j.append(order, { type: '', data: 1 }), 'INVALID_ARGUMENT'],
      [
        'a lone surrogate in the entity (UTF-8 would store another string)',
        (j) => j.append({ entity: 'order:\ud800', scope: 's' }, { type: 'A', data: 1 }),
        'INVALID_COORDINATE',
      ],
      [
        'a lone surrogate in the type',
        (j) => j.append(order, { type: 'T\udc00', data: 1 }),
        'INVALID_ARGUMENT',
      ],
      [
        'a lone surrogate in the idempotency key',
        (j) => j.append(order, { type: 'A', data: 1 }, { idempotencyKey: 'k\ud800' }),
        'INVALID_ARGUMENT',
      ],
      [
        'a function in data',
        (j) => j.append(order, { type: 'A', data: { f: () => 1 } }),
        'UNSERIALIZABLE_DATA',
      ],
      ['a symbol in data', (j) => j.append(order, { type: 'A', data: [Symbol('x')] }), 'UNSERIALIZABLE_DATA'],
      [
        'a class instance in data',
        (j) => j.append(order, { type: 'A', data: new Map() }),
        'UNSERIALIZABLE_DATA',
      ],
      [
        'a cycle in data',
        (j) => {
          const o: Record<string, unknown> = {};
          o.self = o;
          return j.append(order, { type: 'A', data: o });
        },
        'UNSERIALIZABLE_DATA',
      ],
      [
        'non-object metadata',
        (j) => j.append(order, { type: 'A', data: 1, metadata: [] as never }),
        'INVALID_ARGUMENT',
      ],
      [
        'a zero payload version',
        (j) => j.append(order, { type: 'A', data: 1, payloadVersion: 0 }),
        'INVALID_ARGUMENT',
      ],
      [
        'a negative expected version',
        (j) => j.append(order, { type: 'A', data: 1 }, { expectedVersion: -1 }),
        'INVALID_ARGUMENT',
      ],
      [
        'a non-UUID correlation id',
        (j) => j.append(order, { type: 'A', data: 1 }, { correlationId: 'x' }),
        'INVALID_ARGUMENT',
      ],
      [
        'a cause that is not in the journal',
        (j) => j.append(order, { type: 'A', data: 1 }, { causedBy: '01890a5d-ac96-774b-bcce-b302099a8057' }),
        'INVALID_ARGUMENT',
      ],
      [
        'an oversized event',
        (j) => j.append(order, { type: 'A', data: 'x'.repeat(2 << 20) }),
        'EVENT_TOO_LARGE',
      ],
      [
        'an empty idempotency key',
        (j) => j.append(order, { type: 'A', data: 1 }, { idempotencyKey: '' }),
        'INVALID_ARGUMENT',
      ],
      [
        'a lone surrogate in a data string (it would read back as U+FFFD)',
        (j) => j.append(order, { type: 'A', data: { note: 'a\ud800b' } }),
        'UNSERIALIZABLE_DATA',
      ],
      [
        'a lone surrogate in a data key',
        (j) => j.append(order, { type: 'A', data: { 'k\udc00': 1 } }),
        'UNSERIALIZABLE_DATA',
      ],
      [
        'an own __proto__ key in data (it would not read back as such)',
        (j) => j.append(order, { type: 'A', data: JSON.parse('{"__proto__":{"admin":true}}') }),
        'UNSERIALIZABLE_DATA',
      ],
      [
        'an own __proto__ key in metadata',
        (j) => j.append(order, { type: 'A', data: 1, metadata: JSON.parse('{"x":{"__proto__":1}}') }),
        'UNSERIALIZABLE_DATA',
      ],
      [
        'a sparse array in data (its holes would read back as undefined)',
        // biome-ignore lint/suspicious/noSparseArray: the hole is the point
        (j) => j.append(order, { type: 'A', data: { list: [1, , 3] } }),
        'UNSERIALIZABLE_DATA',
      ],
      [
        'an array with a named property in data (it would be dropped)',
        (j) => j.append(order, { type: 'A', data: { list: Object.assign([1, 2], { note: 'kept?' }) } }),
        'UNSERIALIZABLE_DATA',
      ],
      [
        'control characters in the type',
        (j) => j.append(order, { type: 'Order\nPlaced\u0000', data: 1 }),
        'INVALID_ARGUMENT',
      ],
      [
        'a line separator in the type',
        (j) => j.append(order, { type: 'A\u2028B', data: 1 }),
        'INVALID_ARGUMENT',
      ],
      [
        'a line separator in the entity',
        (j) => j.append({ entity: 'order:\u2028', scope: 's' }, { type: 'A', data: 1 }),
        'INVALID_COORDINATE',
      ],
      [
        'a lone surrogate in an extension value',
        (j) => j.append(order, { type: 'A', data: 1 }, { extensions: { 'shop.note': 'x\ud800' } }),
        'INVALID_ARGUMENT',
      ],
      [
        'a control character in a bypass name',
        (j) => j.append(order, { type: 'A', data: 1 }, { bypass: { name: 'ops\u0007', justification: 'x' } }),
        'INVALID_ARGUMENT',
      ],
      [
        'a null expected version',
        (j) => j.append(order, { type: 'A', data: 1 }, { expectedVersion: null as never }),
        'INVALID_ARGUMENT',
      ],
      [
        'a mistyped option key',
        (j) => j.append(order, { type: 'A', data: 1 }, { expectedVersoin: 9 } as never),
        'INVALID_ARGUMENT',
      ],
      [
        'a mistyped event key',
        (j) => j.append(order, { type: 'A', payload: 1 } as never),
        'INVALID_ARGUMENT',
      ],
      [
        'a mistyped batch item option',
        (j) =>
          j.appendBatch([
            { coordinate: order, event: { type: 'A', data: 1 }, options: { causedByIdem: 0 } as never },
          ]),
        'INVALID_ARGUMENT',
      ],
      [
        'a mistyped batch option',
        (j) =>
          j.appendBatch([{ coordinate: order, event: { type: 'A', data: 1 } }], { durible: true } as never),
        'INVALID_ARGUMENT',
      ],
      [
        'a denial with control characters in its code',
        (j) => j.appendDenial(order, { gate: 'credit', code: 'over\nlimit', message: 'm', context: {} }),
        'INVALID_ARGUMENT',
      ],
      [
        'a denial whose gate is not a gate name',
        (j) => j.appendDenial(order, { gate: 'credit limit\u0000', code: 'c', message: 'm', context: {} }),
        'INVALID_ARGUMENT',
      ],
      [
        'a denial without a message',
        (j) => j.appendDenial(order, { gate: 'credit', code: 'c', context: {} } as never),
        'INVALID_ARGUMENT',
      ],
    ];
    for (const [name, act, code] of cases) {
      it(`rejects ${name} with ${code}`, () => {
        const { journal } = freshJournal();
        journal.append(order, { type: 'Seed', data: 0 });
        const before = { marks: journal.watermarks(), bytes: journal.stats().bytes };
        expect(() => act(journal)).toThrow(expect.objectContaining({ code }));
        expect(journal.watermarks()).toEqual(before.marks);
        expect(journal.stats().bytes).toBe(before.bytes);
        expect(journal.readAll().events.map((e) => e.type)).toEqual(['Seed']);
      });
    }
  });

  it('keeps a stream in the scope of its first event', () => {
    const { journal } = freshJournal();
    journal.append(order, { type: 'A', data: 1 });
    expect(() => journal.append({ entity: 'order:1', scope: 'other' }, { type: 'A', data: 1 })).toThrow(
      expect.objectContaining({ code: 'SCOPE_MISMATCH' }),
    );
  });

  it('refuses appends after close', () => {
    const { journal } = freshJournal();
    journal.close();
    journal.close();
    expect(() => journal.append(order, { type: 'A', data: 1 })).toThrow(
      expect.objectContaining({ code: 'JOURNAL_CLOSED' }),
    );
    expect(() => journal.readAll()).toThrow(expect.objectContaining({ code: 'JOURNAL_CLOSED' }));
  });

  it('rejects invalid journal options', () => {
    const { dir } = freshJournal();
    expect(() => open(`${dir}/x`, { segmentMaxBytes: 10 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => open(`${dir}/y`, { fsyncIntervalMs: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('continues positions, versions and chains after reopening', () => {
    const { journal, dir } = freshJournal();
    const first = journal.append(order, { type: 'A', data: 1 });
    journal.close();
    const again = track(open(dir));
    const second = again.append(order, { type: 'B', data: 2 });
    expect(second).toMatchObject({ position: 2, streamVersion: 1, prevHash: first.hash });
  });
});
