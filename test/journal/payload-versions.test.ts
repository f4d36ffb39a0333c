import { describe, expect, it } from 'vitest';
import { coordinate, open, PayloadVersionUnsupported } from '../../src/index.js';
import { freshJournal, track } from '../helpers.js';

const order = coordinate('order:1', 'shop');

describe('payload versions', () => {
  it('upcast older payloads on every read while the stored bytes stay as written', () => {
    const { journal, dir } = freshJournal();
    const v1 = journal.append(order, { type: 'Placed', data: { total: 10 } });
    journal.append(order, {
      type: 'Placed',
      data: { amount: { value: 20, currency: 'EUR' } },
      payloadVersion: 3,
    });
    journal.declarePayloadVersion('Placed', {
      current: 3,
      upcasters: {
        1: (d) => ({ amount: (d as { total: number }).total }),
        2: (d) => ({ amount: { value: (d as { amount: number }).amount, currency: 'EUR' } }),
      },
    });
    const expected = { amount: { value: 10, currency: 'EUR' } };
    expect(journal.get(v1.id)).toMatchObject({ data: expected, payloadVersion: 3, hash: v1.hash });
    expect(journal.readStream('order:1').map((e) => e.data)).toEqual([
      expected,
      { amount: { value: 20, currency: 'EUR' } },
    ]);
    expect(journal.readAll().events[0].data).toEqual(expected);
    expect(journal.verify().ok).toBe(true);
    // Without the declaration the original payload is still there.
    journal.close();
    const plain = track(open(dir));
    expect(plain.get(v1.id)).toMatchObject({ data: { total: 10 }, payloadVersion: 1 });
  });

  it('give appends without a version the current one, and refuse versions newer than the code', () => {
    const { journal } = freshJournal();
    journal.declarePayloadVersion('Placed', { current: 2, upcasters: { 1: (d) => d } });
    expect(journal.get(journal.append(order, { type: 'Placed', data: {} }).id)?.payloadVersion).toBe(2);
    expect(() => journal.append(order, { type: 'Placed', data: {}, payloadVersion: 3 })).toThrow(
      PayloadVersionUnsupported,
    );
    expect(journal.watermarks().visible).toBe(1);
  });

  it('report a stored payload newer than the code understands, or one with no upcaster path', () => {
    const { journal } = freshJournal();
    const newer = journal.append(order, { type: 'Placed', data: {}, payloadVersion: 5 });
    journal.declarePayloadVersion('Placed', { current: 4, upcasters: { 3: (d) => d } });
    expect(() => journal.get(newer.id)).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_VERSION_UNSUPPORTED', version: 5 }),
    );
    const old = journal.append(order, { type: 'Other', data: {}, payloadVersion: 1 });
    journal.declarePayloadVersion('Other', { current: 3, upcasters: { 2: (d) => d } });
    expect(() => journal.get(old.id)).toThrow(PayloadVersionUnsupported);
  });

  it('reject malformed declarations', () => {
    const { journal } = freshJournal();
    expect(() => journal.declarePayloadVersion('A', { current: 0 })).toThrow(/current/);
    expect(() => journal.declarePayloadVersion('A', { current: 2, upcasters: { 2: (d) => d } })).toThrow(
      /upcaster/,
    );
    expect(() => journal.declarePayloadVersion('A', { current: 2, upcasters: { 1: 'x' as never } })).toThrow(
      /function/,
    );
  });
});
