/**
 * Several child processes share one queue on PostgreSQL and MariaDB while one of them is killed with
 * SIGKILL now and then. Afterwards every message was handled, each partition in order, and in
 * transactional mode none twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../src/index.js';
import { waitFor } from './conformance.js';
import {
  createDeliveries,
  dropDeliveries,
  expectDeliveredInOrder,
  killConsumers,
  spawnConsumer,
  stopConsumers,
} from './consumers.js';
import { type DatabaseKind, mysqlKind, postgresKind, requireOrSkip } from './databases.js';

const MESSAGES = 600;
const PARTITIONS = 8;

afterEach(killConsumers);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of [postgresKind, mysqlKind] as DatabaseKind[]) {
  const available = await requireOrSkip(kind);
  describe.skipIf(!available)(`outbox shared by several processes on ${kind.dialect}`, () => {
    for (const mode of ['leased', 'transactional'] as const) {
      it(`${mode}: a SIGKILLed consumer loses nothing and breaks no partition order${mode === 'transactional' ? ' or exactly-once' : ''}`, async () => {
        const db = await kind.create();
        const producer = await Outbox.producer(db.url, {
          prefix: db.prefix,
          queues: { work: { partitions: PARTITIONS } },
        });
        try {
          await createDeliveries(db);
          const consumers = await Promise.all([1, 2, 3].map(() => spawnConsumer(db.url, db.prefix, mode)));
          const sent: string[] = [];
          let kills = 0;
          for (let i = 0; i < MESSAGES; ) {
            const n = Math.min(MESSAGES - i, 1 + Math.floor(Math.random() * 8));
            const batch = Array.from({ length: n }, (_, j) => ({
              type: 'Work',
              key: `k${(i + j) % 37}`,
              payload: { i: i + j },
            }));
            const results = await db.transaction((tx) => producer.enqueueBatch(tx, 'work', batch));
            sent.push(...results.map((r) => r.id));
            i += n;
            if (i % 150 < n && kills < 3) {
              // Kill a random consumer mid-work and start a replacement.
              const victim = consumers.splice(Math.floor(Math.random() * consumers.length), 1)[0];
              victim.kill('SIGKILL');
              kills++;
              consumers.push(await spawnConsumer(db.url, db.prefix, mode));
            }
            await sleep(2);
          }
          expect(kills).toBe(3);
          await waitFor(
            async () => (await producer.stats()).every((s) => s.depth === 0),
            60_000,
            'every message delivered',
          );
          await expectDeliveredInOrder(db, sent, mode);
          await stopConsumers(consumers);
        } finally {
          await producer.stop();
          await dropDeliveries(db);
          await db.close();
        }
      }, 120_000);
    }
  });
}
