import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coordinate } from '../../src/index.js';
import { type EventRecord, FrameKind, messagePackEnd, pack, unpack } from '../../src/journal/codec.js';
import { decodeFrameBody, encodeEventFrame } from '../../src/journal/event-frame.js';
import { computeEventHash } from '../../src/journal/event-hash.js';
import { isWellFormedText } from '../../src/validation.js';
import { freshJournal } from '../helpers.js';

// Values MessagePack round-trips exactly (no -0, which MessagePack stores as an integer 0).
const plain = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true }).filter((n) => !Object.is(n, -0)),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((n) => n < -(2n ** 31n) || n > 2n ** 32n),
    fc.string(),
    fc.uint8Array().map((a) => Buffer.from(a)),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.string().filter((k) => k !== '__proto__'),
      tie('value'),
      { maxKeys: 5 },
    ),
  ),
})).value;

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a));
const record = fc.record({
  id: bytes(16),
  entity: fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }),
  scope: fc.string({ minLength: 1, unit: 'grapheme' }),
  type: fc.string({ minLength: 1, maxLength: 40 }),
  streamVersion: fc.nat(),
  position: fc.maxSafeNat(),
  timestamp: fc.maxSafeNat(),
  correlation: bytes(16),
  causation: fc.option(bytes(16), { nil: null }),
  payloadVersion: fc.nat({ max: 0xffff_ffff }),
  metadata: fc.option(
    plain.map((v) => pack({ v })),
    { nil: null },
  ),
  data: plain.map((v) => pack(v)),
  prevHash: bytes(32),
  hash: bytes(32),
  idemKey: fc.option(fc.string({ minLength: 1, maxLength: 600, unit: 'grapheme' }), { nil: null }),
  idemDigest: fc.option(bytes(16), { nil: null }),
  extensions: fc.option(
    fc
      .dictionary(fc.constantFrom('a.b', 'acme.ticket'), fc.string())
      .map((v) => Buffer.from(JSON.stringify(v))),
    { nil: null },
  ),
  layout: fc.constant(2 as const),
});

describe('codec properties', () => {
  it('payloads round-trip through MessagePack', () => {
    fc.assert(
      fc.property(plain, (v) => {
        expect(unpack(pack(v))).toEqual(v);
      }),
    );
  });

  it('event frames round-trip field by field through msgpackr', () => {
    fc.assert(
      fc.property(record, (r) => {
        const frame = encodeEventFrame(r as EventRecord);
        const body = frame.subarray(8);
        expect(frame.readUInt32LE(0)).toBe(body.length);
        expect(frame.readUInt32LE(4)).toBe(crc32(body));
        const expected = { kind: FrameKind.Event, event: r };
        // The fixed-shape writer's output is plain MessagePack: msgpackr reads it back field by field.
        expect(decodeFrameBody(body)).toEqual(expected);
        // A frame body from another MessagePack encoder decodes the same way.
        const fields = [FrameKind.Event, ...Object.values(r)];
        expect(decodeFrameBody(pack(fields))).toEqual(expected);
        // Events of the first layout keep their 17 or 18 fields.
        const first = { ...r, layout: 1 as const };
        const old = encodeEventFrame(first as EventRecord).subarray(8);
        expect(old[2]).toBe(r.extensions ? 18 : 17);
        expect(decodeFrameBody(old)).toEqual({ kind: FrameKind.Event, event: first });
      }),
    );
  });

  it('the hash changes when any hashed field changes', () => {
    const fields = [
      'id',
      'entity',
      'scope',
      'type',
      'streamVersion',
      'position',
      'timestamp',
      'correlation',
      'causation',
      'payloadVersion',
      'metadata',
      'data',
      'prevHash',
      'extensions',
      'idemKey',
      'idemDigest',
    ] as const;
    fc.assert(
      fc.property(record, fc.constantFrom(...fields), (r, field) => {
        const base = computeEventHash(r as EventRecord);
        const changed = { ...r } as Record<string, unknown>;
        const v = r[field];
        if (typeof v === 'number') changed[field] = v + 1;
        else if (typeof v === 'string') changed[field] = `${v}x`;
        else if (v === null) changed[field] = field === 'idemKey' ? 'k' : Buffer.alloc(16, 7);
        else {
          const b = Buffer.from(v as Buffer);
          if (b.length === 0) changed[field] = Buffer.from([0]);
          else {
            b[b.length - 1] ^= 1;
            changed[field] = b;
          }
        }
        expect(computeEventHash(changed as unknown as EventRecord).equals(base)).toBe(false);
      }),
    );
  });

  it('no two different headers share a hash input (length prefixes)', () => {
    const r = {
      id: Buffer.alloc(16),
      scope: 's',
      type: 't',
      streamVersion: 0,
      position: 1,
      timestamp: 0,
      correlation: Buffer.alloc(16),
      causation: null,
      payloadVersion: 1,
      metadata: null,
      data: pack(1),
      prevHash: Buffer.alloc(32),
      extensions: null,
      idemKey: null,
      idemDigest: null,
      layout: 2 as const,
    };
    const a = computeEventHash({ ...r, entity: 'ab', scope: 'c' });
    const b = computeEventHash({ ...r, entity: 'a', scope: 'bc' });
    expect(a.equals(b)).toBe(false);
  });

  it('messagePackEnd finds where any value ends, and how far past its limit a cut-short one reaches', () => {
    fc.assert(
      fc.property(plain, fc.uint8Array({ maxLength: 16 }), (v, tail) => {
        const bytes = pack(v);
        const buf = Buffer.concat([bytes, tail]);
        expect(messagePackEnd(buf, 0, buf.length)).toBe(bytes.length);
        for (let cut = 0; cut < bytes.length; cut++) expect(messagePackEnd(buf, 0, cut)).toBeGreaterThan(cut);
      }),
      { numRuns: 1000 },
    );
    expect(messagePackEnd(Buffer.from([0xc1]), 0, 1)).toBe(-1);
    // A header claiming billions of elements is skipped by counting, never allocated.
    expect(messagePackEnd(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0, 0]), 0, 7)).toBe(8);
    // A cut-off byte string says how far it reaches.
    expect(messagePackEnd(Buffer.from([0xc6, 0x7f, 0xff, 0xff, 0xff, 1]), 0, 6)).toBe(5 + 0x7fffffff);
    const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, [i, -i, i / 3]]));
    const values = [1.5, 2n ** 60n, -(2n ** 40n), new Date(), -200, 70_000, 'x'.repeat(70_000)];
    for (const v of [...values, wide, Array(20).fill(wide), Buffer.alloc(300), Buffer.alloc(70_000)])
      expect(messagePackEnd(pack(v), 0, pack(v).length)).toBe(pack(v).length);
  });

  it('appended data reads back equal', () => {
    const { journal } = freshJournal();
    fc.assert(
      fc.property(plain, (v) => {
        const r = journal.append(coordinate('p:1', 's'), { type: 'T', data: v });
        expect(journal.get(r.id)!.data).toEqual(v);
      }),
      { numRuns: 200 },
    );
    expect(journal.verify().ok).toBe(true);
  });

  it('data reads back exactly, or is refused with UnserializableData and nothing is written', () => {
    // Any UTF-16 code units (lone surrogates included), -0, and keys that include __proto__.
    const text = fc
      .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 6 })
      .map((u) => String.fromCharCode(...u));
    const key = fc.oneof(fc.string(), text, fc.constant('__proto__'));
    const value = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.double(),
        text,
        fc.array(tie('value'), { maxLength: 4 }),
        fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => {
          const o: Record<string, unknown> = {};
          // defineProperty makes __proto__ an own key, as JSON.parse does.
          for (const [k, v] of entries)
            Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
          return o;
        }),
      ),
    })).value;
    const storable = (v: unknown): boolean => {
      if (typeof v === 'string') return isWellFormedText(v);
      if (Array.isArray(v)) return v.every(storable);
      if (v !== null && typeof v === 'object')
        return Object.keys(v).every(
          (k) => k !== '__proto__' && isWellFormedText(k) && storable((v as Record<string, unknown>)[k]),
        );
      return true;
    };
    const asRead = (v: unknown): unknown => {
      if (Object.is(v, -0)) return 0; // MessagePack has no integer -0, as JSON has none
      if (Array.isArray(v)) return v.map(asRead);
      if (v !== null && typeof v === 'object')
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asRead(x)]));
      return v;
    };
    const { journal } = freshJournal();
    const c = coordinate('fidelity:1', 'test');
    fc.assert(
      fc.property(value, (v) => {
        const before = journal.watermarks().visible;
        let receipt: { id: string } | undefined;
        try {
          receipt = journal.append(c, { type: 'Value', data: v });
        } catch (err) {
          expect(err).toMatchObject({ code: 'UNSERIALIZABLE_DATA' });
          expect(storable(v)).toBe(false);
          expect(journal.watermarks().visible).toBe(before);
          return;
        }
        expect(storable(v)).toBe(true);
        const read = journal.get(receipt.id)!.data;
        expect(read).toStrictEqual(asRead(v));
        expect(JSON.stringify(read)).toBe(JSON.stringify(asRead(v))); // same keys in the same order
      }),
      { numRuns: 500 },
    );
  });
});
