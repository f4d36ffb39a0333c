import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CausewayError, coordinate, type Journal, open, openReadOnly } from '../../src/index.js';
import { freshJournal, tempDir, track } from '../helpers.js';

const order = coordinate('order:1', 'shop');
const refused = (key: string) =>
  expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining(key) });

describe('options and regions a journal does not understand', () => {
  const calls: [string, (j: Journal) => unknown, string][] = [
    ['a region key', (j) => j.readAll({ region: { entity: 'order' } as never }), 'entity'],
    ['a region key in query', (j) => [...j.query({ entityprefix: 'order' } as never)], 'entityprefix'],
    ['a readAll option', (j) => j.readAll({ afer: 3 } as never), 'afer'],
    ['a readStream option', (j) => j.readStream('order:1', { backward: true } as never), 'backward'],
    ['a cursor option', (j) => j.cursor({}, { checkpoint: 'x' } as never), 'checkpoint'],
    [
      'a cursor worker option',
      (j) => j.cursorWorker({}, { batchsize: 3 } as never, () => 'continue'),
      'batchsize',
    ],
    ['a subscription option', (j) => j.subscribeLossy({}, { capcity: 3 } as never), 'capcity'],
    [
      'a walkAncestors option',
      (j) => j.walkAncestors(j.readAll().events[0].id, { lmit: 1 } as never),
      'lmit',
    ],
    [
      'a negative walkAncestors limit',
      (j) => j.walkAncestors(j.readAll().events[0].id, { limit: -1 }),
      'limit',
    ],
    ['a fractional readStream limit', (j) => j.readStream('order:1', { limit: 1.5 }), 'limit'],
    ['a waitFor option', (j) => j.waitFor('visible', 1, { timeout: 5 } as never), 'timeout'],
    ['a verify option', (j) => j.verify({ progress: () => {} } as never), 'progress'],
  ];
  for (const [name, call, key] of calls) {
    it(`refuses ${name} with a typed error naming it`, async () => {
      const { journal } = freshJournal();
      journal.append(order, { type: 'Placed', data: 1 });
      let error: unknown;
      try {
        await call(journal);
      } catch (err) {
        error = err;
      }
      expect(error).toEqual(refused(key));
    });
  }

  it('refuses an unknown journal option, and opens nothing', () => {
    const dir = path.join(tempDir(), 'j');
    expect(() => open(dir, { segmentMaxByte: 4096 } as never)).toThrow(refused('segmentMaxByte'));
    expect(fs.existsSync(dir)).toBe(false);
    track(open(dir)).close();
    expect(() => openReadOnly(dir, { pollInterval: 5 } as never)).toThrow(refused('pollInterval'));
  });

  it.each([2 ** 31, Number.POSITIVE_INFINITY, Number.NaN, -1])(
    'refuses a timer of %s ms (Node would fire it at once, again and again)',
    async (ms) => {
      const dir = tempDir();
      expect(() => open(dir, { fsyncIntervalMs: ms })).toThrow(refused('fsyncIntervalMs'));
      const journal = track(open(dir));
      journal.append(order, { type: 'Placed', data: 1 });
      expect(() => openReadOnly(dir, { pollIntervalMs: ms })).toThrow(refused('pollIntervalMs'));
      expect(() => journal.cursorWorker({}, { pollIntervalMs: ms }, () => 'continue')).toThrow(
        refused('pollIntervalMs'),
      );
      await expect(journal.waitFor('visible', 5, { timeoutMs: ms })).rejects.toEqual(refused('timeoutMs'));
    },
  );

  it('a journal path that is a file is a typed error', () => {
    const file = path.join(tempDir(), 'not-a-dir');
    fs.writeFileSync(file, 'x');
    for (const opening of [() => open(file), () => openReadOnly(file)]) {
      let error: unknown;
      try {
        opening();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(CausewayError);
      expect(error).toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('not a directory'),
      });
    }
  });
});

describe('idempotency digests', () => {
  it('do not depend on the order of keys in data or metadata', () => {
    const { journal } = freshJournal();
    const first = journal.append(
      order,
      { type: 'Placed', data: { a: 1, b: { x: 1, y: [1, { p: 1, q: 2 }] } }, metadata: { m: 1, n: 2 } },
      { idempotencyKey: 'k' },
    );
    const again = journal.append(
      order,
      { type: 'Placed', data: { b: { y: [1, { q: 2, p: 1 }], x: 1 }, a: 1 }, metadata: { n: 2, m: 1 } },
      { idempotencyKey: 'k' },
    );
    expect(again).toMatchObject({ deduplicated: true, id: first.id });
    expect(() =>
      journal.append(
        order,
        { type: 'Placed', data: { a: 1, b: { x: 1, y: [{ p: 1, q: 2 }, 1] } } },
        { idempotencyKey: 'k' },
      ),
    ).toThrow(expect.objectContaining({ code: 'IDEMPOTENCY_CONFLICT' }));
  });
});
