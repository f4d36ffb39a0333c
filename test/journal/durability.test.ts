import fs from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { coordinate } from '../../src/index.js';
import { freshJournal } from '../helpers.js';

const c = coordinate('acct:1', 'bank');

describe('durability and watermarks', () => {
  it('advances accepted, written and visible on append, durable on sync', () => {
    const { journal } = freshJournal({ fsyncIntervalMs: 0 });
    journal.append(c, { type: 'A', data: 1 });
    expect(journal.watermarks()).toEqual({ accepted: 1, written: 1, visible: 1, durable: 0, applied: 1 });
    journal.sync();
    expect(journal.watermarks().durable).toBe(1);
  });

  it('a durable append returns only after fsync', () => {
    const { journal } = freshJournal({ fsyncIntervalMs: 0 });
    const spy = vi.spyOn(fs, 'fdatasyncSync');
    try {
      journal.append(c, { type: 'A', data: 1 });
      expect(spy).not.toHaveBeenCalled();
      const r = journal.append(c, { type: 'A', data: 2 }, { durable: true });
      expect(spy).toHaveBeenCalledTimes(1);
      expect(journal.watermarks().durable).toBe(r.position);
    } finally {
      spy.mockRestore();
    }
  });

  it('async durable producers share fsyncs (group commit)', async () => {
    const { journal } = freshJournal({ fsyncIntervalMs: 0 });
    const spy = vi.spyOn(fs, 'fdatasync');
    try {
      const receipts = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          journal.appendAsync(c, { type: 'A', data: i }, { durable: true }),
        ),
      );
      expect(receipts.map((r) => r.position).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 16 }, (_, i) => i + 1),
      );
      expect(journal.watermarks().durable).toBe(16);
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(spy.mock.calls.length).toBeLessThan(4);
    } finally {
      spy.mockRestore();
    }
  });

  it('a durable batch resolves after its fsync', async () => {
    const { journal } = freshJournal({ fsyncIntervalMs: 0 });
    const receipts = await journal.appendBatchAsync(
      [
        { coordinate: c, event: { type: 'A', data: 1 } },
        { coordinate: c, event: { type: 'A', data: 2 } },
      ],
      { durable: true },
    );
    expect(journal.watermarks().durable).toBe(receipts[1].position);
  });

  it('fsyncs on the configured cadence without being asked', async () => {
    const { journal } = freshJournal({ fsyncIntervalMs: 5 });
    journal.append(c, { type: 'A', data: 1 });
    await journal.waitFor('durable', 1, { timeoutMs: 2000 });
    expect(journal.watermarks().durable).toBe(1);
  });

  it('waitFor durable asks for an fsync instead of waiting for the timer', async () => {
    const { journal } = freshJournal({ fsyncIntervalMs: 0 });
    journal.append(c, { type: 'A', data: 1 });
    await journal.waitFor('durable', 1, { timeoutMs: 2000 });
    expect(journal.watermarks().durable).toBe(1);
  });

  it('waitFor resolves when the position is reached and times out with a typed error', async () => {
    const { journal } = freshJournal();
    const waiting = journal.waitFor('visible', 2, { timeoutMs: 2000 });
    journal.append(c, { type: 'A', data: 1 });
    journal.append(c, { type: 'A', data: 2 });
    await expect(waiting).resolves.toBeUndefined();
    await expect(journal.waitFor('visible', 10, { timeoutMs: 10 })).rejects.toMatchObject({
      code: 'WAIT_TIMEOUT',
    });
    await expect(journal.waitFor('nope' as never, 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('close fails pending waits with JournalClosed', async () => {
    const { journal } = freshJournal();
    const waiting = journal.waitFor('visible', 5);
    journal.close();
    await expect(waiting).rejects.toMatchObject({ code: 'JOURNAL_CLOSED' });
  });
});
