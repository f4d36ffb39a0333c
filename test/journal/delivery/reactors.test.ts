import { describe, expect, it } from 'vitest';
import { coordinate, type Journal, type ReactorOptions } from '../../../src/index.js';
import { freshJournal } from '../../helpers.js';

const order = (n: number) => coordinate(`order:${n}`, 'shop');
const shipping = (n: number) => coordinate(`shipment:${n}`, 'shop');

const shipOnPayment = (): ReactorOptions => ({
  name: 'shipping',
  handlers: {
    Paid: (e) => [
      {
        coordinate: shipping((e.data as { n: number }).n),
        event: { type: 'ShipmentRequested', data: e.data },
      },
      { coordinate: shipping((e.data as { n: number }).n), event: { type: 'LabelPrinted', data: e.data } },
    ],
  },
});

async function runUntil(journal: Journal, options: ReactorOptions, reactions: number): Promise<void> {
  const handle = journal.reactor(options);
  const deadline = Date.now() + 5000;
  while ([...journal.query({ entityPrefix: 'shipment' })].length < reactions && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 5));
  await handle.stopAndJoin();
}

describe('reactors', () => {
  it('append each source event’s reactions as one batch caused by it and sharing its correlation', async () => {
    const { journal } = freshJournal();
    const paid = journal.append(
      order(1),
      { type: 'Paid', data: { n: 1 } },
      { correlationId: '0190b1c2-0000-7000-8000-000000000001' },
    );
    journal.append(order(2), { type: 'Placed', data: { n: 2 } });
    await runUntil(journal, shipOnPayment(), 2);
    const reactions = [...journal.query({ entityPrefix: 'shipment' })];
    expect(reactions.map((e) => e.type)).toEqual(['ShipmentRequested', 'LabelPrinted']);
    for (const r of reactions) {
      expect(r.causationId).toBe(paid.id);
      expect(r.correlationId).toBe('0190b1c2-0000-7000-8000-000000000001');
    }
    expect(journal.effects(paid.id).effects.map((t) => t.event.type)).toEqual([
      'ShipmentRequested',
      'LabelPrinted',
    ]);
  });

  it('never append a source’s reactions twice, even when the checkpoint is lost', async () => {
    const { journal } = freshJournal();
    for (let n = 0; n < 3; n++) journal.append(order(n), { type: 'Paid', data: { n } });
    await runUntil(journal, shipOnPayment(), 6);
    // Forget the checkpoint: the reactor sees every source again.
    const fs = await import('node:fs');
    fs.rmSync(`${journal.dir}/checkpoints`, { recursive: true });
    journal.append(order(9), { type: 'Paid', data: { n: 9 } });
    await runUntil(journal, shipOnPayment(), 8);
    const reactions = [...journal.query({ entityPrefix: 'shipment' })];
    expect(reactions.length).toBe(8);
  });

  it('react to nothing when a handler returns no reactions, and refuse bad options', async () => {
    const { journal } = freshJournal();
    journal.append(order(1), { type: 'Paid', data: { n: 1 } });
    await runUntil(journal, { name: 'quiet', handlers: { Paid: () => undefined } }, 0);
    expect(journal.watermarks().visible).toBe(1);
    expect(() => journal.reactor({ name: 'x', handlers: {} })).toThrow(/handlers/);
    expect(() => journal.reactor({ name: '../x', handlers: { Paid: () => [] } })).toThrow(/reactor name/);
  });
});
