/**
 * The outbox's database connections are killed under it (PostgreSQL `pg_terminate_backend`, as a
 * failover, idle timeout or proxy reset does) while a consumer process works: the process survives,
 * work resumes by itself, and nothing is lost or, in transactional mode, delivered twice.
 */
import type { ChildProcess } from 'node:child_process';
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
import { postgresKind, requireOrSkip } from './databases.js';

const MESSAGES = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(killConsumers);

/** Fails as soon as the consumer exits: a crash must not look like slow delivery. */
function alive(child: ChildProcess): () => void {
  return () => {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the consumer exited (${child.exitCode ?? child.signalCode})`);
  };
}

const available = await requireOrSkip(postgresKind);
describe.skipIf(!available)('outbox connections terminated on PostgreSQL', () => {
  for (const mode of ['leased', 'transactional'] as const) {
    it(`${mode}: the consumer survives, resumes and loses nothing${mode === 'transactional' ? ' nor delivers twice' : ''}`, async () => {
      const db = await postgresKind.create();
      const producer = await Outbox.producer(db.url, {
        prefix: db.prefix,
        queues: { work: { partitions: 8 } },
      });
      const terminate = () =>
        db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?', [
          db.prefix,
        ]);
      try {
        await createDeliveries(db);
        const consumer = await spawnConsumer(`${db.url}?application_name=${db.prefix}`, db.prefix, mode);
        const check = alive(consumer);
        const sent: string[] = [];
        let kills = 0;
        for (let i = 0; i < MESSAGES; i += 5) {
          const batch = Array.from({ length: 5 }, (_, j) => ({
            type: 'Work',
            key: `k${(i + j) % 13}`,
            payload: { i: i + j },
          }));
          sent.push(
            ...(await db.transaction((tx) => producer.enqueueBatch(tx, 'work', batch))).map((r) => r.id),
          );
          // The consumer may be between connections (reconnecting after the last kill) at a kill.
          if (i % 100 === 50) kills += (await terminate()).length;
          await sleep(3);
          check();
        }
        expect(kills).toBeGreaterThanOrEqual(4);
        await waitFor(
          async () => {
            check();
            return (await producer.stats()).every((s) => s.depth === 0);
          },
          30_000,
          'every message delivered',
        );
        await expectDeliveredInOrder(db, sent, mode);
        check();
        await stopConsumers([consumer]);
      } finally {
        await producer.stop();
        await dropDeliveries(db);
        await db.close();
      }
    }, 60_000);
  }
});
