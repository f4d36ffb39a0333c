import { describe, expect, it } from 'vitest';
import { coordinate, type JournalEvent, open, openReadOnly, type StoredEventOf } from '../../src/index.js';
import { tempDir, track } from '../helpers.js';

// The event union is types only (test/types/journal-events.test-d.ts checks them); this checks that
// a typed journal behaves as an untyped one does.

type ShopEvent =
  | { type: 'OrderPlaced'; data: { total: number } }
  | JournalEvent<'OrderPaid', { amount: number }>
  | { type: 'ShipmentRequested'; data: { order: string } };
type OrderEvent = Extract<ShopEvent, { type: 'OrderPlaced' | 'OrderPaid' }>;

const order = coordinate('order:507', 'shop');
const shipment = coordinate('shipment:507', 'shop');

const describeEvent = (e: StoredEventOf<OrderEvent>): string =>
  e.type === 'OrderPlaced' ? `placed ${e.data.total}` : `paid ${e.data.amount}`;

describe('a journal typed with an event union', () => {
  it('appends, reads, reacts and projects as an untyped one', async () => {
    const dir = tempDir();
    const journal = track(open<ShopEvent>(dir));
    const placed = journal.append(order, { type: 'OrderPlaced', data: { total: 42 } });
    await journal.appendAsync(order, { type: 'OrderPaid', data: { amount: 42 } }, { causedBy: placed });

    expect(journal.readStream<OrderEvent>('order:507').map(describeEvent)).toEqual(['placed 42', 'paid 42']);
    expect(journal.get(placed.id)?.data).toEqual({ total: 42 });
    expect(journal.readAll({ region: { types: ['OrderPaid'] } }).events.map((e) => e.data.amount)).toEqual([
      42,
    ]);

    const reactor = journal.reactor({
      name: 'shipping',
      handlers: {
        OrderPaid: (e) => ({
          coordinate: shipment,
          event: { type: 'ShipmentRequested', data: { order: e.entity } },
        }),
      },
    });
    const deadline = Date.now() + 5000;
    while (journal.streamVersion('shipment:507') === undefined && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    await reactor.stopAndJoin();
    const [requested] = journal.readStream('shipment:507');
    expect(requested.type === 'ShipmentRequested' && requested.data.order).toBe('order:507');
    expect(journal.correlated(placed.id).map((e) => e.type)).toEqual([
      'OrderPlaced',
      'OrderPaid',
      'ShipmentRequested',
    ]);

    const revenue = journal.project({
      name: 'revenue',
      version: 1,
      region: { types: ['OrderPaid'] },
      initial: () => 0,
      apply: (sum, e) => sum + e.data.amount,
    });
    expect(revenue.state).toBe(42);

    const reader = track(openReadOnly<ShopEvent>(dir));
    expect(reader.readStream('order:507').map((e) => e.type)).toEqual(['OrderPlaced', 'OrderPaid']);
  });
});
