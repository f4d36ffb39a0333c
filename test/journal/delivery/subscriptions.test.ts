import { describe, expect, it } from 'vitest';
import { coordinate, openReadOnly, type StoredEvent, SubscriberLagged } from '../../../src/index.js';
import { freshJournal, track } from '../../helpers.js';

const order = (n: number) => coordinate(`order:${n}`, 'shop');
const nextTurn = () => new Promise((r) => setImmediate(r));

describe('lossy subscriptions', () => {
  it('deliver live events of their region, in order, after the append returns', async () => {
    const { journal } = freshJournal();
    journal.append(order(0), { type: 'Before', data: {} });
    const sub = journal.subscribeLossy({ types: ['Placed'] }, { capacity: 10 });
    journal.append(order(1), { type: 'Placed', data: { n: 1 } });
    journal.append(order(1), { type: 'Other', data: {} });
    journal.append(order(2), { type: 'Placed', data: { n: 2 } });
    expect(sub.size).toBe(0); // nothing is read while the writer runs
    await sub.wait();
    expect(sub.take().map((e) => e.data)).toEqual([{ n: 1 }, { n: 2 }]);
    sub.close();
  });

  it('are iterable and end when closed', async () => {
    const { journal } = freshJournal();
    const sub = journal.subscribeLossy({ entityPrefix: 'order:1' });
    const seen: StoredEvent[] = [];
    const done = (async () => {
      for await (const e of sub) {
        seen.push(e);
        if (seen.length === 2) sub.close();
      }
    })();
    journal.append(order(1), { type: 'A', data: 1 });
    journal.append(order(2), { type: 'A', data: 2 });
    journal.append(order(1), { type: 'B', data: 3 });
    await done;
    expect(seen.map((e) => e.data)).toEqual([1, 3]);
    expect(sub.isClosed).toBe(true);
  });

  it('never block the writer: a full buffer marks the subscriber lagged and tells it where to resume', async () => {
    const { journal } = freshJournal();
    const slow = journal.subscribeLossy({}, { capacity: 3 });
    const fast = journal.subscribeLossy({}, { capacity: 100 });
    for (let i = 0; i < 10; i++) journal.append(order(i), { type: 'Placed', data: i });
    await nextTurn();
    expect(fast.take().length).toBe(10);
    expect(slow.lagged).toBe(3);
    expect(slow.take().map((e) => e.data)).toEqual([0, 1, 2]);
    let lag: unknown;
    try {
      slow.take();
    } catch (err) {
      lag = err;
    }
    expect(lag).toBeInstanceOf(SubscriberLagged);
    expect((lag as SubscriberLagged).code).toBe('SUBSCRIBER_LAGGED');
    // A cursor from the lag position delivers the rest without gaps or repeats.
    const resumed = journal.cursor({}, { after: (lag as SubscriberLagged).after }).poll(100);
    expect(resumed.map((e) => e.data)).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it('a lagged iterator throws after handing out what it buffered', async () => {
    const { journal } = freshJournal();
    const sub = journal.subscribeLossy({}, { capacity: 2 });
    for (let i = 0; i < 5; i++) journal.append(order(i), { type: 'Placed', data: i });
    await nextTurn();
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const e of sub) seen.push(e.data);
      })(),
    ).rejects.toMatchObject({ code: 'SUBSCRIBER_LAGGED', after: 2 });
    expect(seen).toEqual([0, 1]);
  });

  it('share one read among many subscribers', async () => {
    const { journal } = freshJournal();
    const subs = Array.from({ length: 20 }, () => journal.subscribeLossy({}, { capacity: 1000 }));
    for (let i = 0; i < 50; i++) journal.append(order(i % 3), { type: 'Placed', data: i });
    await nextTurn();
    const batches = subs.map((s) => s.take());
    for (const b of batches) expect(b.map((e) => e.data)).toEqual([...Array(50).keys()]);
    expect(batches[0][7]).toBe(batches[19][7]);
  });

  it('end when the journal closes', async () => {
    const { journal } = freshJournal();
    const sub = journal.subscribeLossy();
    const iteration = (async () => {
      for await (const _ of sub) {
        // nothing arrives
      }
    })();
    journal.close();
    await iteration;
    expect(sub.isClosed).toBe(true);
  });

  it('follow a writer from a read-only journal', async () => {
    const { journal, dir } = freshJournal({ fsyncIntervalMs: 0 });
    const reader = track(openReadOnly(dir, { pollIntervalMs: 5 }));
    const sub = reader.subscribeLossy({ types: ['Placed'] });
    journal.appendBatch([
      { coordinate: order(1), event: { type: 'Placed', data: 1 } },
      { coordinate: order(2), event: { type: 'Placed', data: 2 } },
    ]);
    const seen: unknown[] = [];
    while (seen.length < 2) {
      await sub.wait();
      seen.push(...sub.take().map((e) => e.data));
    }
    expect(seen).toEqual([1, 2]);
    sub.close();
  });

  it('reject bad options', () => {
    const { journal } = freshJournal();
    expect(() => journal.subscribeLossy({}, { capacity: 0 })).toThrow(/capacity/);
    expect(() => journal.subscribeLossy({ entityPrefix: 'bad::x' })).toThrow();
  });
});
