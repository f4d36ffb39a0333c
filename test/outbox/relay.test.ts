import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coordinate, leased, type Message, Outbox, Result, relayToOutbox } from '../../src/index.js';
import { freshJournal, tempDir } from '../helpers.js';
import { waitFor } from './conformance.js';

describe('relay from the journal to the outbox', () => {
  it('delivers every event of the region once, in stream order, and a restart from scratch adds nothing', async () => {
    const { journal, dir } = freshJournal();
    const received: Message[] = [];
    const outbox = await Outbox.start(`sqlite:${path.join(tempDir(), 'outbox.db')}`, {
      queues: {
        'order-events': {
          partitions: 4,
          delivery: leased(async (m) => {
            received.push(m);
            return Result.ok();
          }),
        },
      },
    });
    try {
      const appended = [];
      for (let i = 0; i < 30; i++)
        appended.push(
          journal.append(coordinate(`order:${i % 3}`, 'shop'), { type: 'OrderStep', data: { step: i } }),
        );
      journal.append(coordinate('audit:1', 'shop'), { type: 'Audited', data: {} }); // outside the region

      const relay = relayToOutbox(journal, outbox, {
        region: { entityPrefix: 'order' },
        queue: 'order-events',
      });
      await waitFor(() => received.length === 30, 10_000, 'relayed messages');
      await relay.stopAndJoin();
      expect(received.map((m) => m.headers['event-id']).sort()).toEqual(appended.map((r) => r.id).sort());
      for (const entity of ['order:0', 'order:1', 'order:2']) {
        const steps = received
          .filter((m) => m.key === entity)
          .map((m) => (m.payload as { step: number }).step);
        expect(steps).toEqual([...steps].sort((a, b) => a - b));
      }
      expect(received[0].headers).toMatchObject({
        entity: received[0].key,
        'correlation-id': expect.any(String),
      });

      // As if the relay crashed before any checkpoint: everything is enqueued again, and deduplicated.
      fs.rmSync(path.join(dir, 'checkpoints'), { recursive: true });
      journal.append(coordinate('order:0', 'shop'), { type: 'OrderStep', data: { step: 30 } });
      const again = relayToOutbox(journal, outbox, {
        region: { entityPrefix: 'order' },
        queue: 'order-events',
      });
      await waitFor(() => received.length === 31, 10_000, 'the new message');
      await new Promise((r) => setTimeout(r, 300));
      await again.stopAndJoin();
      expect(received).toHaveLength(31);
      const [stats] = await outbox.stats();
      expect(stats.depth).toBe(0);
    } finally {
      await outbox.stop();
    }
  });

  it('refuses a relay without a queue, and an unknown queue stops the worker with UnknownQueue', async () => {
    const { journal } = freshJournal();
    const outbox = await Outbox.producer(`sqlite:${path.join(tempDir(), 'outbox.db')}`);
    try {
      expect(() => relayToOutbox(journal, outbox, { region: {}, queue: '' })).toThrow(/needs a queue/);
      journal.append(coordinate('order:1', 'shop'), { type: 'OrderPlaced', data: {} });
      const relay = relayToOutbox(journal, outbox, { region: {}, queue: 'nowhere' });
      await expect(relay.join()).rejects.toMatchObject({ code: 'RESTART_BUDGET_EXHAUSTED' });
    } finally {
      await outbox.stop();
    }
  });
});
