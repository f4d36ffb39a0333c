import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointRegionMismatch, coordinate, openReadOnly } from '../../../src/index.js';
import { freshJournal, track } from '../../helpers.js';

const order = (n: number) => coordinate(`order:${n}`, 'shop');

describe('pull cursors', () => {
  it('poll the next visible events of a region in global order', () => {
    const { journal } = freshJournal();
    for (let i = 0; i < 10; i++)
      journal.append(order(i % 2), { type: i % 3 === 0 ? 'Paid' : 'Placed', data: i });
    const cursor = journal.cursor({ entityPrefix: 'order:0' });
    expect(cursor.poll(2).map((e) => e.data)).toEqual([0, 2]);
    expect(cursor.poll(10).map((e) => e.data)).toEqual([4, 6, 8]);
    expect(cursor.poll(10)).toEqual([]);
    journal.append(order(0), { type: 'Placed', data: 10 });
    expect(cursor.poll(10).map((e) => e.data)).toEqual([10]);
  });

  it('see an atomic batch whole: all of it or none of it', () => {
    const { journal } = freshJournal();
    const cursor = journal.cursor();
    expect(cursor.poll(100)).toEqual([]);
    journal.appendBatch(
      Array.from({ length: 5 }, (_, i) => ({ coordinate: order(i), event: { type: 'Placed', data: i } })),
    );
    expect(cursor.poll(100).map((e) => e.data)).toEqual([0, 1, 2, 3, 4]);
  });

  it('resume from a durable checkpoint and roll back to it', () => {
    const { journal, dir } = freshJournal();
    for (let i = 0; i < 6; i++) journal.append(order(i), { type: 'Placed', data: i });
    const first = journal.cursor({ types: ['Placed'] }, { checkpointId: 'billing' });
    expect(first.durable).toBe(true);
    first.poll(2);
    first.commit();
    first.poll(2);
    first.rollback();
    expect(first.position).toBe(2);
    first.poll(3);
    const file = path.join(dir, 'checkpoints', 'billing.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).position).toBe(2);
    // A new cursor with the same id starts at the committed position, not the polled one.
    const second = journal.cursor({ types: ['Placed'] }, { checkpointId: 'billing' });
    expect(second.poll(10).map((e) => e.data)).toEqual([2, 3, 4, 5]);
  });

  it('refuse a checkpoint id saved for another region, at start', () => {
    const { journal } = freshJournal();
    journal.append(order(1), { type: 'Placed', data: 1 });
    const c = journal.cursor({ types: ['Placed', 'Paid'] }, { checkpointId: 'x' });
    c.poll();
    c.commit();
    // The same region written differently is the same region.
    expect(() => journal.cursor({ types: ['Paid', 'Placed'] }, { checkpointId: 'x' })).not.toThrow();
    expect(() => journal.cursor({ types: ['Placed'] }, { checkpointId: 'x' })).toThrow(
      CheckpointRegionMismatch,
    );
  });

  it('report a damaged checkpoint instead of starting over', () => {
    const { journal, dir } = freshJournal();
    journal.cursor({}, { checkpointId: 'c' }).commit();
    fs.writeFileSync(path.join(dir, 'checkpoints', 'c.json'), '{"format":');
    expect(() => journal.cursor({}, { checkpointId: 'c' })).toThrow(
      expect.objectContaining({ code: 'CHECKPOINT_CORRUPT' }),
    );
  });

  it.each([
    ['a null region', null],
    ['types that are not a list', { types: 5 }],
    ['a type given as a string', { types: 'Placed' }],
    ['an entity prefix that is not text', { entityPrefix: 7 }],
    ['an unknown region field', { entity: 'x' }],
  ])('report a checkpoint file with %s as damaged, wherever it is read', (_name, region) => {
    const { journal, dir } = freshJournal();
    journal.cursor({}, { checkpointId: 'c' }).commit();
    const file = path.join(dir, 'checkpoints', 'c.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), region }));
    const corrupt = expect.objectContaining({ code: 'CHECKPOINT_CORRUPT' });
    expect(() => journal.cursor({}, { checkpointId: 'c' })).toThrow(corrupt);
    expect(() => journal.checkpoints()).toThrow(corrupt);
    expect(() => journal.resetCheckpoint('c', 0)).toThrow(corrupt);
  });

  it('reject bad ids and positions without writing anything', () => {
    const { journal, dir } = freshJournal();
    expect(() => journal.cursor({}, { checkpointId: '../escape' })).toThrow(/checkpointId/);
    expect(() => journal.cursor({}, { after: -1 })).toThrow(/after/);
    expect(() => journal.cursor().poll(0)).toThrow(/max/);
    expect(fs.existsSync(path.join(dir, 'checkpoints'))).toBe(false);
  });

  it('follow a writer from a read-only journal', () => {
    const { journal, dir } = freshJournal({ fsyncIntervalMs: 0 });
    journal.append(order(1), { type: 'Placed', data: 1 });
    const reader = track(openReadOnly(dir));
    const cursor = reader.cursor();
    expect(cursor.poll().map((e) => e.data)).toEqual([1]);
    journal.appendBatch([
      { coordinate: order(2), event: { type: 'Placed', data: 2 } },
      { coordinate: order(3), event: { type: 'Placed', data: 3 } },
    ]);
    expect(cursor.poll().map((e) => e.data)).toEqual([2, 3]);
  });
});
