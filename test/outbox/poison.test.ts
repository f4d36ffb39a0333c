/**
 * A message whose handler kills its process (a native crash, an out-of-memory kill) must still
 * reach the dead letters after `maxAttempts` deliveries, not come back forever: each delivery is
 * counted durably before the handler runs. The messages around it are delivered.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../src/index.js';
import { fixture } from '../children.js';
import { TSX_LOADER } from '../helpers.js';
import { waitFor } from './conformance.js';
import { ALL_KINDS, requireOrSkip, type TestDatabase } from './databases.js';

const running = new Set<ChildProcess>();
afterEach(() => {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
});

/** Starts a poison consumer; resolves with it once it runs, and its exit as a promise. */
async function consumer(url: string, prefix: string, mode: string, maxAttempts = 3, leaseMs = 300) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      TSX_LOADER,
      fixture('poison-consumer.ts'),
      url,
      prefix,
      mode,
      String(maxAttempts),
      String(leaseMs),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  running.add(child);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('READY') && resolve());
    void exited.then(() => reject(new Error('the consumer exited before it started')));
  });
  return { child, exited };
}

/**
 * Starts poison consumers one after another, `crashed` of them having crashed already, until the
 * poison is dead-lettered; returns how many crashed in all.
 */
async function crashesUntilDeadLettered(db: TestDatabase, producer: Outbox, mode: string, crashed: number) {
  for (; crashed < 6; crashed++) {
    const c = await consumer(db.url, db.prefix, mode);
    const outcome = await Promise.race([
      c.exited.then(() => 'crashed'),
      waitFor(async () => (await producer.deadLetters.list()).length === 1, 20_000, 'the dead letter').then(
        () => 'dead-lettered',
      ),
    ]);
    if (outcome === 'dead-lettered') break;
  }
  return crashed;
}

/** Kills the consumers left, and removes what the test made. */
async function cleanUp(db: TestDatabase, producer: Outbox) {
  for (const c of running) c.kill('SIGKILL');
  await producer.stop();
  await db.query(`DROP TABLE IF EXISTS ${db.prefix}_deliveries`);
  await db.close();
}

/** The payloads' `n` that consumers recorded as delivered. */
const delivered = async (db: TestDatabase) =>
  new Set((await db.query(`SELECT n FROM ${db.prefix}_deliveries`)).map((r) => Number(r.n)));

for (const kind of ALL_KINDS) {
  const available = await requireOrSkip(kind);
  describe.skipIf(!available)(`a message that kills its consumer, on ${kind.dialect}`, () => {
    for (const mode of ['leased', 'transactional'] as const) {
      it(`${mode}: is dead-lettered after maxAttempts deliveries, and the partition goes on`, async () => {
        const db = await kind.create();
        const producer = await Outbox.producer(db.url, {
          prefix: db.prefix,
          queues: { work: { partitions: 1 } },
        });
        try {
          await db.query(`CREATE TABLE ${db.prefix}_deliveries (n integer NOT NULL)`);
          await db.transaction((tx) =>
            producer.enqueueBatch(tx, 'work', [
              { type: 'T', payload: { n: 1 } },
              { type: 'T', payload: { n: 2, poison: true } },
              { type: 'T', payload: { n: 3 } },
            ]),
          );
          const crashes = await crashesUntilDeadLettered(db, producer, mode, 0);
          // Three deliveries of the poison crashed; one more may be the batch it first came in.
          expect(crashes).toBeGreaterThanOrEqual(3);
          expect(crashes).toBeLessThanOrEqual(4);
          const [letter] = await producer.deadLetters.list();
          expect(letter).toMatchObject({ payload: { n: 2, poison: true }, attempts: 3 });
          expect(letter.lastError).toMatch(/started 3 times/);
          await waitFor(async () => (await delivered(db)).has(3), 10_000, 'the message after it');
          expect(await delivered(db)).toEqual(new Set([1, 3]));
        } finally {
          await cleanUp(db, producer);
        }
      }, 90_000);
    }

    it('leased: a poison message that reaches a consumer already holding the partition counts each start', async () => {
      const db = await kind.create();
      const producer = await Outbox.producer(db.url, {
        prefix: db.prefix,
        queues: { work: { partitions: 1 } },
      });
      const enqueue = (payload: Record<string, unknown>) =>
        db.transaction((tx) => producer.enqueueBatch(tx, 'work', [{ type: 'T', payload }]));
      try {
        await db.query(`CREATE TABLE ${db.prefix}_deliveries (n integer NOT NULL)`);
        // The first consumer holds the partition (a long lease) and waits when the poison arrives,
        // so its sequencer may read the message for it: that start must be counted too.
        const first = await consumer(db.url, db.prefix, 'leased', 3, 5000);
        await enqueue({ n: 1 });
        await waitFor(async () => (await delivered(db)).has(1), 10_000, 'the first message');
        await enqueue({ n: 2, poison: true });
        await first.exited;
        expect(await crashesUntilDeadLettered(db, producer, 'leased', 1)).toBe(3);
        const [letter] = await producer.deadLetters.list();
        expect(letter).toMatchObject({ payload: { n: 2, poison: true }, attempts: 3 });
        await enqueue({ n: 3 });
        await waitFor(async () => (await delivered(db)).has(3), 10_000, 'the message after it');
        expect(await delivered(db)).toEqual(new Set([1, 3]));
      } finally {
        await cleanUp(db, producer);
      }
    }, 90_000);

    it('transactional, maxAttempts 1: only the message at fault is dead-lettered, not the batch ahead of it', async () => {
      const db = await kind.create();
      const producer = await Outbox.producer(db.url, {
        prefix: db.prefix,
        queues: { work: { partitions: 1 } },
      });
      try {
        await db.query(`CREATE TABLE ${db.prefix}_deliveries (n integer NOT NULL)`);
        const batch = Array.from({ length: 8 }, (_, n) => ({
          type: 'T',
          payload: n === 5 ? { n, poison: true } : { n },
        }));
        await db.transaction((tx) => producer.enqueueBatch(tx, 'work', batch));
        for (let crashes = 0; crashes < 6; crashes++) {
          const c = await consumer(db.url, db.prefix, 'transactional', 1);
          const outcome = await Promise.race([
            c.exited.then(() => 'crashed'),
            waitFor(
              async () => (await producer.stats())[0].depth === 0,
              20_000,
              'the partition drained',
            ).then(() => 'drained'),
          ]);
          if (outcome === 'drained') break;
        }
        const letters = await producer.deadLetters.list();
        expect(letters.map((l) => l.payload)).toEqual([{ n: 5, poison: true }]);
        const delivered = (await db.query(`SELECT n FROM ${db.prefix}_deliveries`)).map((r) => Number(r.n));
        expect(delivered.sort()).toEqual([0, 1, 2, 3, 4, 6, 7]);
      } finally {
        await cleanUp(db, producer);
      }
    }, 90_000);
  });
}
