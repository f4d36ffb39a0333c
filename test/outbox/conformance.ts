/**
 * Behaviour every outbox dialect must show. Each dialect's test file runs this suite against a real
 * database; tests use fresh table prefixes so they never see each other's rows.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DeadLettered,
  type FailureContext,
  InvalidArgument,
  type Logger,
  leased,
  leasedBatch,
  type Message,
  MessageTooLarge,
  Outbox,
  type OutboxOptions,
  Result,
  SchemaVersionMismatch,
  transactional,
  UnknownQueue,
  UnserializableData,
} from '../../src/index.js';
import { recordingLogger } from '../helpers.js';
import { type DatabaseKind, requireOrSkip, type TestDatabase } from './databases.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
) {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export async function defineConformance(kind: DatabaseKind): Promise<void> {
  const available = await requireOrSkip(kind);

  describe.skipIf(!available)(`outbox conformance on ${kind.dialect}`, () => {
    let db: TestDatabase;
    const outboxes: Outbox[] = [];

    beforeEach(async () => {
      db = await kind.create();
    });
    afterEach(async () => {
      for (const o of outboxes.splice(0)) await o.stop();
      await db.close();
    });

    const fast = { pollIntervalMs: 100, vacuumIntervalMs: 50 };
    const start = async (options: OutboxOptions) => {
      const o = await Outbox.start(db.url, {
        prefix: db.prefix,
        ...options,
        tuning: { ...fast, ...options.tuning },
      });
      outboxes.push(o);
      return o;
    };
    const producer = async (options: OutboxOptions = {}) => {
      const o = await Outbox.producer(db.url, { prefix: db.prefix, ...options });
      outboxes.push(o);
      return o;
    };
    const recorder = () => {
      const seen: Message[] = [];
      return {
        seen,
        delivery: leased(async (m) => {
          seen.push(m);
          return Result.ok();
        }),
      };
    };
    const table = (name: string) => `${db.prefix}_${name}`;
    const count = async (name: string) =>
      Number((await db.query(`SELECT COUNT(*) AS n FROM ${table(name)}`))[0].n);

    it('delivers a committed message with its id, type, key, payload and headers', async () => {
      const r = recorder();
      const o = await start({ queues: { orders: { partitions: 4, delivery: r.delivery } } });
      const sent = await db.transaction((tx) =>
        o.enqueue(tx, 'orders', {
          type: 'OrderPlaced',
          key: 'order-1',
          payload: { total: 12 },
          headers: { a: 'b' },
        }),
      );
      await waitFor(() => r.seen.length === 1, 10_000, 'delivery');
      const m = r.seen[0];
      expect(m).toMatchObject({ id: sent.id, queue: 'orders', type: 'OrderPlaced', key: 'order-1', seq: 1 });
      expect(m.payload).toEqual({ total: 12 });
      expect(m.headers).toEqual({ a: 'b' });
      expect(m.partition).toBe(sent.partition);
      const bytes = await db.transaction((tx) =>
        o.enqueue(tx, 'orders', { type: 'Raw', key: 'order-1', payload: new Uint8Array([1, 2, 255]) }),
      );
      await waitFor(() => r.seen.length === 2);
      expect(r.seen[1].id).toBe(bytes.id);
      expect([...(r.seen[1].payload as Uint8Array)]).toEqual([1, 2, 255]);
    });

    it('leaves nothing behind when the enqueuing transaction rolls back', async () => {
      const r = recorder();
      const o = await start({ queues: { orders: { partitions: 2, delivery: r.delivery } } });
      await expect(
        db.transaction(async (tx) => {
          await o.enqueue(tx, 'orders', { type: 'T', key: 'k', payload: 1 });
          throw new Error('caller rolls back');
        }),
      ).rejects.toThrow('caller rolls back');
      await sleep(400);
      expect(r.seen).toHaveLength(0);
      const [s] = await o.stats();
      expect(s.depth).toBe(0);
      expect(await count('incoming')).toBe(0);
    });

    it('delivers each partition in commit order with contiguous sequence numbers', async () => {
      const r = recorder();
      const o = await start({ queues: { q: { partitions: 4, delivery: r.delivery } } });
      const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
      const producerRun = async (who: number) => {
        for (let i = 0; i < 40; i++)
          await db.transaction((tx) =>
            o.enqueue(tx, 'q', { type: 'T', key: keys[(i + who) % keys.length], payload: { who, i } }),
          );
      };
      await Promise.all([producerRun(0), producerRun(1), producerRun(2)]);
      await waitFor(() => r.seen.length === 120, 20_000, '120 deliveries');
      const byPartition = new Map<number, number[]>();
      const byProducerKey = new Map<string, number[]>();
      for (const m of r.seen) {
        byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m.seq]);
        const p = m.payload as { who: number; i: number };
        const k = `${p.who}/${m.key}`;
        byProducerKey.set(k, [...(byProducerKey.get(k) ?? []), p.i]);
      }
      for (const seqs of byPartition.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      for (const order of byProducerKey.values()) expect(order).toEqual([...order].sort((a, b) => a - b));
    });

    it('retries a failing message with backoff and then delivers it, holding back only its partition', async () => {
      const calls: { id: string; attempts: number; at: number }[] = [];
      const other: Message[] = [];
      let failing = '';
      const o = await start({
        queues: {
          q: {
            partitions: 2,
            delivery: leased(
              async (m) => {
                if (m.id !== failing) {
                  other.push(m);
                  return Result.ok();
                }
                calls.push({ id: m.id, attempts: m.attempts, at: Date.now() });
                return m.attempts < 2 ? Result.retry({ reason: 'not yet' }) : Result.ok();
              },
              { retryBackoff: { initialMs: 100, maxMs: 1000 } },
            ),
          },
        },
      });
      failing = (await db.transaction((tx) => o.enqueue(tx, 'q', { type: 'T', partition: 0, payload: 'x' })))
        .id;
      await db.transaction((tx) => o.enqueue(tx, 'q', { type: 'T', partition: 1, payload: 'y' }));
      await waitFor(() => other.length === 1);
      expect(calls.length).toBeLessThan(3);
      await waitFor(() => calls.length === 3, 10_000, 'three attempts');
      expect(calls.map((c) => c.attempts)).toEqual([0, 1, 2]);
      expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(90);
      expect(calls[2].at - calls[1].at).toBeGreaterThanOrEqual(190);
      const [s] = await o.stats();
      expect(s.retries).toBe(2);
      await waitFor(async () => (await o.stats())[0].depth === 0);
    });

    it('after a retried message succeeds, the messages behind it follow at once, not one per poll', async () => {
      const seen: number[] = [];
      let failed = false;
      const o = await start({
        queues: {
          q: {
            partitions: 1,
            delivery: leased(
              async (m) => {
                if (!failed) {
                  failed = true;
                  return Result.retry({ delayMs: 10 });
                }
                seen.push((m.payload as { i: number }).i);
                return Result.ok();
              },
              { batchSize: 20 },
            ),
          },
        },
        tuning: { pollIntervalMs: 60_000 }, // no poll comes to the rescue
      });
      await db.transaction((tx) =>
        o.enqueueBatch(
          tx,
          'q',
          Array.from({ length: 20 }, (_, i) => ({ type: 'T', payload: { i } })),
        ),
      );
      await waitFor(() => seen.length === 20, 5_000, 'every message');
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    });

    it('dead-letters a rejected message and goes on with the partition', async () => {
      const seen: string[] = [];
      const o = await start({
        queues: {
          q: {
            partitions: 1,
            delivery: leased(async (m) => {
              seen.push(m.type);
              return m.type === 'Poison' ? Result.reject('cannot parse') : Result.ok();
            }),
          },
        },
      });
      await db.transaction((tx) =>
        o.enqueueBatch(tx, 'q', [
          { type: 'A', payload: 1 },
          { type: 'Poison', payload: 2, key: 'k1', headers: { h: '1' } },
          { type: 'B', payload: 3 },
        ]),
      );
      await waitFor(() => seen.length === 3);
      expect(seen).toEqual(['A', 'Poison', 'B']);
      const letters = await o.deadLetters.list({ queue: 'q' });
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        type: 'Poison',
        payload: 2,
        key: 'k1',
        lastError: 'cannot parse',
        seq: 2,
      });
      expect(letters[0].headers).toEqual({ h: '1' });
      expect(await o.deadLetters.count()).toEqual({ q: 1 });
      expect((await o.stats())[0]).toMatchObject({ deadLetters: 1, rejected: 1 });
    });

    it('dead-letters a message that keeps failing after maxAttempts', async () => {
      let attempts = 0;
      const o = await start({
        queues: {
          q: {
            partitions: 1,
            delivery: leased(
              async () => {
                attempts++;
                throw new Error('downstream down');
              },
              { maxAttempts: 3, retryBackoff: { initialMs: 20, maxMs: 40 } },
            ),
          },
        },
      });
      await db.transaction((tx) => o.enqueue(tx, 'q', { type: 'T', payload: 1 }));
      await waitFor(async () => (await o.deadLetters.list()).length === 1, 10_000, 'dead letter');
      expect(attempts).toBe(3);
      const [letter] = await o.deadLetters.list();
      expect(letter.attempts).toBe(3);
      expect(letter.lastError).toContain('gave up after 3 attempts');
      expect(letter.lastError).toContain('downstream down');
    });

    it('counts an outcome with a retry delay no timer can take as a failed attempt, and dead-letters it', async () => {
      for (const delayMs of [1.5e20, Number.NaN, Number.POSITIVE_INFINITY, -1])
        expect(() => Result.retry({ delayMs })).toThrow(InvalidArgument);
      expect(Result.retry({ delayMs: 1.5 })).toMatchObject({ delayMs: 2 }); // whole milliseconds
      let attempts = 0;
      const o = await start({
        queues: {
          q: {
            partitions: 1,
            delivery: leased(
              () => {
                attempts++;
                return { kind: 'retry', delayMs: 1e20 }; // made by hand, past the builder's check
              },
              { maxAttempts: 2, retryBackoff: { initialMs: 20, maxMs: 40 } },
            ),
          },
        },
      });
      await db.transaction((tx) => o.enqueue(tx, 'q', { type: 'T', payload: 1 }));
      await waitFor(async () => (await o.deadLetters.list()).length === 1, 10_000, 'dead letter');
      expect(attempts).toBe(2);
      expect((await o.deadLetters.list())[0].lastError).toContain('retry delay');
    });

    for (const mode of ['leased', 'transactional'] as const) {
      it(`${mode}: a handler that does not finish in handlerTimeoutMs is aborted, counted as a failed attempt, and cannot touch the transaction later`, async () => {
        const signals: AbortSignal[] = [];
        let lateQuery: unknown = 'not tried';
        let lateClient: unknown = 'not tried';
        const delivered: unknown[] = [];
        const options = { handlerTimeoutMs: 200, maxAttempts: 2, retryBackoff: { initialMs: 10, maxMs: 20 } };
        const slow = async (
          m: Message,
          ctx: { signal: AbortSignal; tx?: { query(sql: string): Promise<unknown> } },
        ) => {
          if (!(m.payload as { hang?: boolean }).hang) {
            delivered.push(m.payload);
            return Result.ok();
          }
          signals.push(ctx.signal);
          await sleep(400); // far past the timeout, ignoring the abort
          if (ctx.tx) lateQuery = await ctx.tx.query('SELECT 1').catch((e: unknown) => e);
          // The driver's own connection was closed with the rolled-back transaction (SQLite has one).
          const client = (ctx as { client?: { query?(sql: string): Promise<unknown> } }).client;
          if (client?.query)
            lateClient = await client.query('SELECT 1').then(
              () => 'ran',
              (e: unknown) => e,
            );
          return Result.ok();
        };
        const o = await start({
          queues: {
            q: {
              partitions: 1,
              delivery: mode === 'leased' ? leased(slow, options) : transactional(slow, options),
            },
          },
        });
        await db.transaction((tx) =>
          o.enqueueBatch(tx, 'q', [
            { type: 'T', payload: { hang: true } },
            { type: 'T', payload: { n: 2 } },
          ]),
        );
        await waitFor(() => delivered.length === 1, 10_000, 'the message after it');
        const [letter] = await o.deadLetters.list();
        expect(letter).toMatchObject({ payload: { hang: true }, attempts: 2 });
        expect(letter.lastError).toContain('did not finish within 200 ms');
        expect(signals.every((s) => s.aborted)).toBe(true);
        if (mode === 'transactional') {
          await waitFor(() => lateQuery !== 'not tried', 5000, 'the late query');
          expect(lateQuery).toMatchObject({ code: 'DELIVERY_ENDED' });
          if (kind.dialect !== 'sqlite') expect(lateClient).toBeInstanceOf(Error);
        }
      });
    }

    it('reports each failed attempt and dead letter to its logger and hooks, saying where and which attempt', async () => {
      const { logger, warnings, errors } = recordingLogger();
      const hookErrors: [unknown, FailureContext][] = [];
      const letters: DeadLettered[] = [];
      const o = await start({
        logger,
        onError: (err, at) => {
          hookErrors.push([err, at]);
          throw new Error('a broken hook'); // logged, and the outbox goes on
        },
        onDeadLetter: (letter) => letters.push(letter),
        queues: {
          q: {
            partitions: 1,
            delivery: leased(
              (m) => {
                if ((m.payload as { n: number }).n === 1) throw new Error('downstream down');
                return Result.reject('not for us');
              },
              { maxAttempts: 2, retryBackoff: { initialMs: 10, maxMs: 20 } },
            ),
          },
        },
      });
      const [first, second] = await db.transaction((tx) =>
        o.enqueueBatch(tx, 'q', [
          { type: 'T', payload: { n: 1 } },
          { type: 'T', payload: { n: 2 } },
        ]),
      );
      await waitFor(() => letters.length === 2, 10_000, 'two dead letters');
      const where = { queue: 'q', partition: 0 };
      const retried = warnings.filter((w) => w.msg === 'outbox delivery failed; it is tried again');
      expect(retried).toHaveLength(1);
      expect(retried[0].obj).toMatchObject({
        ...where,
        messageId: first.id,
        seq: 1,
        attempt: 1,
        reason: expect.stringContaining('downstream down'),
      });
      expect(retried[0].obj.delayMs).toBeGreaterThan(0);
      const dead = errors.filter((e) => e.msg === 'outbox message dead-lettered').map((e) => e.obj);
      expect(dead).toMatchObject([
        { ...where, messageId: first.id, attempts: 2 },
        { ...where, messageId: second.id, attempts: 1, reason: 'not for us' },
      ]);
      expect(letters).toMatchObject(dead);
      expect(hookErrors.map(([e, at]) => [(e as Error).message, at])).toEqual([
        ['downstream down', expect.objectContaining({ ...where, messageId: first.id, attempt: 1 })],
        ['downstream down', expect.objectContaining({ ...where, messageId: first.id, attempt: 2 })],
      ]);
      expect(errors.some((e) => e.obj.hook === 'onError')).toBe(true);
    });

    // SQLite's statements run synchronously, so none can be in flight when the deadline passes.
    if (kind.dialect !== 'sqlite')
      it('a transactional handler stuck in a statement is cut off at its deadline, its statement ended', async () => {
        const sleepSql = kind.dialect === 'postgres' ? 'SELECT pg_sleep(20)' : 'SELECT SLEEP(20)';
        const o = await start({
          queues: {
            q: {
              partitions: 1,
              delivery: transactional(
                async (_m, { tx }) => {
                  await tx.query(sleepSql);
                  return Result.ok();
                },
                { handlerTimeoutMs: 300, maxAttempts: 1 },
              ),
            },
          },
        });
        const t0 = Date.now();
        await db.transaction((tx) => o.enqueue(tx, 'q', { type: 'T', payload: 1 }));
        await waitFor(async () => (await o.deadLetters.list()).length === 1, 15_000, 'the dead letter');
        expect(Date.now() - t0).toBeLessThan(5000);
      });

    it('redrives dead letters into their queue or another, keeping their ids, and filters them', async () => {
      let reject = true;
      const seen: Message[] = [];
      const o = await start({
        queues: {
          q: {
            partitions: 2,
            delivery: leased(async (m) => {
              seen.push(m);
              return reject ? Result.reject('no') : Result.ok();
            }),
          },
          other: {
            partitions: 3,
            delivery: leased(async (m) => {
              seen.push(m);
              return Result.ok();
            }),
          },
        },
      });
      const sent = await db.transaction((tx) =>
        o.enqueueBatch(tx, 'q', [
          { type: 'A', key: 'x', payload: 1 },
          { type: 'B', key: 'y', payload: 2 },
          { type: 'A', key: 'z', payload: 3 },
        ]),
      );
      await waitFor(async () => (await o.deadLetters.list()).length === 3);
      expect(await o.deadLetters.list({ type: 'A' })).toHaveLength(2);
      expect(await o.deadLetters.list({ olderThanMs: 3_600_000 })).toHaveLength(0);
      reject = false;
      seen.length = 0;
      expect(await o.deadLetters.redrive({ type: 'A' })).toBe(2);
      await waitFor(() => seen.length === 2);
      expect(seen.map((m) => m.id).sort()).toEqual([sent[0].id, sent[2].id].sort());
      expect(seen.every((m) => m.queue === 'q')).toBe(true);
      seen.length = 0;
      expect(await o.deadLetters.redrive({ toQueue: 'other' })).toBe(1);
      await waitFor(() => seen.length === 1);
      expect(seen[0]).toMatchObject({ id: sent[1].id, queue: 'other', key: 'y', payload: 2 });
      expect(await o.deadLetters.count()).toEqual({});
    });

    it('discards and purges dead letters by id and by filter', async () => {
      const o = await start({
        queues: { q: { partitions: 1, delivery: leased(async () => Result.reject('no')) } },
      });
      await db.transaction((tx) =>
        o.enqueueBatch(
          tx,
          'q',
          [1, 2, 3, 4].map((n) => ({ type: n % 2 ? 'Odd' : 'Even', payload: n })),
        ),
      );
      await waitFor(async () => (await o.deadLetters.list()).length === 4);
      const [first] = await o.deadLetters.list();
      expect(await o.deadLetters.get(first.deadLetterId)).toMatchObject({ payload: 1 });
      expect(await o.deadLetters.discard([first.deadLetterId])).toBe(1);
      expect(await o.deadLetters.purge({ type: 'Even' })).toBe(2);
      expect((await o.deadLetters.list()).map((d) => d.payload)).toEqual([3]);
      expect(await o.deadLetters.purge()).toBe(1);
      await expect(o.deadLetters.list({ limit: 0 })).rejects.toBeInstanceOf(InvalidArgument);
    });

    it('vacuums delivered rows while delivery goes on', async () => {
      const r = recorder();
      const o = await start({
        queues: { q: { partitions: 2, delivery: r.delivery } },
        tuning: { vacuumChunk: 7 },
      });
      for (let i = 0; i < 5; i++)
        await db.transaction((tx) =>
          o.enqueueBatch(
            tx,
            'q',
            Array.from({ length: 20 }, (_, j) => ({ type: 'T', key: `k${j}`, payload: i })),
          ),
        );
      await waitFor(() => r.seen.length === 100);
      await waitFor(async () => (await count('outgoing')) === 0, 10_000, 'vacuum');
      await db.transaction((tx) => o.enqueue(tx, 'q', { type: 'T', key: 'k1', payload: 'after' }));
      await waitFor(() => r.seen.length === 101);
      expect(r.seen[100].payload).toBe('after');
    });

    for (const mode of ['leased', 'transactional'] as const) {
      it(`${mode}: stop() called from inside a handler returns, and the stop completes once the handler has`, async () => {
        let outbox!: Outbox;
        let stoppedInside = false;
        const handler = async () => {
          await outbox.stop();
          stoppedInside = true;
          return Result.ok();
        };
        outbox = await start({
          queues: {
            q: { partitions: 1, delivery: mode === 'leased' ? leased(handler) : transactional(handler) },
          },
        });
        await db.transaction((tx) => outbox.enqueue(tx, 'q', { type: 'T', payload: 1 }));
        await waitFor(() => stoppedInside, 5000, 'stop() to return inside the handler');
        await outbox.stop(); // and the whole stop completes
        const [s] = await (await producer()).stats();
        expect(s.depth).toBe(0); // the handler's outcome was still acknowledged
      });
    }

    it('a stopped consumer gives its leases back, so another process takes over at once', async () => {
      const seen: string[] = [];
      const consumer = (name: string) =>
        start({
          queues: {
            q: {
              partitions: 2,
              delivery: leased(
                (m) => {
                  seen.push(`${name}:${m.payload}`);
                  return Result.ok();
                },
                { leaseMs: 60_000 },
              ),
            },
          },
        });
      const first = await consumer('first');
      await db.transaction((tx) =>
        first.enqueueBatch(tx, 'q', [
          { type: 'T', payload: 1, partition: 0 },
          { type: 'T', payload: 2, partition: 1 },
        ]),
      );
      await waitFor(() => seen.length === 2);
      const second = await consumer('second');
      await first.stop();
      await db.transaction((tx) =>
        second.enqueueBatch(tx, 'q', [
          { type: 'T', payload: 3, partition: 0 },
          { type: 'T', payload: 4, partition: 1 },
        ]),
      );
      await waitFor(() => seen.length === 4, 5000, 'the second consumer to take over');
      expect(seen.slice(2).sort()).toEqual(['second:3', 'second:4']);
    });

    it('stop() lets the handler in flight finish and acknowledge, and nothing runs afterwards', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const started: number[] = [];
      let finished = 0;
      const o = await start({
        queues: {
          q: {
            partitions: 1,
            delivery: leased(async (m) => {
              started.push(m.seq);
              await gate;
              finished++;
              return Result.ok();
            }),
          },
        },
      });
      await db.transaction((tx) =>
        o.enqueueBatch(
          tx,
          'q',
          [1, 2, 3].map((n) => ({ type: 'T', payload: n })),
        ),
      );
      await waitFor(() => started.length === 1);
      const stopped = o.stop();
      await sleep(50);
      release();
      await stopped;
      expect(finished).toBe(1);
      await sleep(200);
      expect(started).toEqual([1]);
      const [s] = await (await producer()).stats();
      expect(s.lag).toBe(2);
      await expect(
        db.transaction((tx) => o.enqueue(tx, 'q', { type: 'T', payload: 1 })),
      ).rejects.toMatchObject({
        code: 'OUTBOX_STOPPED',
      });
    });

    it('takes over a partition whose holder stopped heartbeating once its lease expires', async () => {
      const r = recorder();
      const p = await producer({ queues: { q: { partitions: 1 } } });
      await db.transaction((tx) => p.enqueue(tx, 'q', { type: 'T', payload: 1 }));
      // A holder that crashed: its lease stands for 800 ms more and nobody renews it.
      await db.query(
        `UPDATE ${table('processors')} SET lease_owner = 'crashed', lease_token = 'gone', lease_expires_at = ? WHERE 1 = 1`,
        [Number((await db.query(`SELECT ${nowExpr(kind.dialect)} AS now`))[0].now) + 800],
      );
      const t0 = Date.now();
      await start({ queues: { q: { partitions: 1, delivery: r.delivery } } });
      await waitFor(() => r.seen.length === 1, 10_000, 'takeover');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
    });

    it('delivers a message that arrives beside a slow one on the only processor slot, charging no start it did not have', async () => {
      const seen: Message[] = [];
      const o = await start({
        processors: 1,
        queues: {
          slow: {
            partitions: 1,
            delivery: leased(async () => {
              await sleep(2500);
              return Result.ok();
            }),
          },
          fast: {
            partitions: 1,
            delivery: leased(
              async (m) => {
                seen.push(m);
                return Result.ok();
              },
              { maxAttempts: 1, leaseMs: 2000 },
            ),
          },
        },
      });
      await db.transaction((tx) => o.enqueue(tx, 'fast', { type: 'T', payload: 1 }));
      await waitFor(() => seen.length === 1, 10_000, 'the first message');
      // Both arrive together and contend for the only processor slot: should the slow handler get
      // it, the fast message waits longer than the lease its processor held when it arrived.
      await db.transaction(async (tx) => {
        await o.enqueue(tx, 'slow', { type: 'T', payload: 0 });
        await o.enqueue(tx, 'fast', { type: 'T', payload: 2 });
      });
      await waitFor(() => seen.length === 2, 10_000, 'the second message');
      expect(seen.map((m) => [m.payload, m.attempts])).toEqual([
        [1, 0],
        [2, 0],
      ]);
      expect(await o.deadLetters.list()).toEqual([]);
    });

    it('a message that arrives as its consumer stops is delivered by the next one, not charged a start', async () => {
      const seen: Message[] = [];
      const delivery = leased(
        async (m) => {
          seen.push(m);
          return Result.ok();
        },
        { maxAttempts: 1 },
      );
      const queues = { q: { partitions: 1, delivery } };
      const p = await producer({ queues: { q: { partitions: 1 } } });
      for (let round = 0; round < 5; round++) {
        const o = await start({ queues });
        await db.transaction((tx) => p.enqueue(tx, 'q', { type: 'T', payload: round * 2 }));
        await waitFor(() => seen.length === round * 2 + 1, 10_000, 'the first message');
        // The consumer holds the partition, idle; the next message may be handed over as it stops.
        const second = db.transaction((tx) => p.enqueue(tx, 'q', { type: 'T', payload: round * 2 + 1 }));
        await sleep(round);
        await o.stop();
        outboxes.splice(outboxes.indexOf(o), 1);
        await second;
        const next = await start({ queues });
        await waitFor(() => seen.length === round * 2 + 2, 10_000, 'the second message');
        await next.stop();
        outboxes.splice(outboxes.indexOf(next), 1);
      }
      expect(new Set(seen.map((m) => m.payload))).toEqual(new Set(Array.from({ length: 10 }, (_, i) => i)));
      expect(seen.every((m) => m.attempts === 0)).toBe(true);
    });

    it('heartbeats keep a long handler its lease, so no other process takes the message', async () => {
      const seen: { by: string; seq: number }[] = [];
      const slow = (by: string) =>
        leased(
          async (m, ctx) => {
            seen.push({ by, seq: m.seq });
            await sleep(900);
            expect(ctx.signal.aborted).toBe(false);
            return Result.ok();
          },
          { leaseMs: 300 },
        );
      const a = await start({ queues: { q: { partitions: 1, delivery: slow('a') } } });
      await db.transaction((tx) => a.enqueue(tx, 'q', { type: 'T', payload: 1 }));
      await waitFor(() => seen.length === 1);
      await start({ queues: { q: { partitions: 1, delivery: slow('b') } } });
      await waitFor(async () => (await a.stats())[0].depth === 0, 10_000, 'ack');
      await sleep(300);
      expect(seen).toHaveLength(1);
      expect((await a.stats())[0].leasesLost).toBe(0);
    });

    it('aborts a handler whose lease was taken, refuses its acknowledgement and logs it', async () => {
      let signal!: AbortSignal;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const logged: [string, object, string?][] = [];
      const logger = Object.fromEntries(
        (['debug', 'info', 'warn', 'error'] as const).map((level) => [
          level,
          (obj: object, msg?: string) => logged.push([level, obj, msg]),
        ]),
      ) as unknown as Logger;
      const o = await start({
        logger,
        queues: {
          q: {
            partitions: 1,
            delivery: leased(
              async (_m, ctx) => {
                signal = ctx.signal;
                await gate;
                return Result.ok();
              },
              { leaseMs: 2000 },
            ),
          },
        },
      });
      await db.transaction((tx) => o.enqueue(tx, 'q', { type: 'T', payload: 1 }));
      await waitFor(() => signal !== undefined);
      await db.query(`UPDATE ${table('processors')} SET lease_token = 'thief' WHERE 1 = 1`);
      await waitFor(() => signal.aborted, 5000, 'abort on lost lease');
      release();
      await waitFor(async () => (await o.stats())[0].leasesLost === 1);
      expect(Number((await db.query(`SELECT acked_seq FROM ${table('processors')}`))[0].acked_seq)).toBe(0);
      expect(logged).toContainEqual([
        'warn',
        { queue: 'q', partition: 0 },
        expect.stringContaining('lease lost'),
      ]);
    });

    it('transactional mode commits the handler writes with the acknowledgement and rolls back a retry', async () => {
      await db.query(`CREATE TABLE ${table('handled')} (message_id varchar(64), attempt integer)`);
      const o = await start({
        queues: {
          q: {
            partitions: 1,
            delivery: transactional(async (m, { tx }) => {
              await tx.query(`INSERT INTO ${table('handled')} (message_id, attempt) VALUES (?, ?)`, [
                m.id,
                m.attempts,
              ]);
              return m.attempts === 0 ? Result.retry({ delayMs: 50 }) : Result.ok();
            }),
          },
        },
      });
      const sent = await db.transaction((tx) => o.enqueue(tx, 'q', { type: 'T', payload: 1 }));
      await waitFor(async () => (await o.stats())[0].depth === 0, 10_000, 'delivery');
      const rows = await db.query(`SELECT message_id, attempt FROM ${table('handled')}`);
      expect(rows.map((r) => [r.message_id, Number(r.attempt)])).toEqual([[sent.id, 1]]);
    });

    it('a batch handler can acknowledge a prefix; the rest is delivered again', async () => {
      const batches: number[][] = [];
      const o = await start({
        queues: {
          q: {
            partitions: 1,
            delivery: leasedBatch(
              async (ms) => {
                batches.push(ms.map((m) => m.seq));
                return batches.length === 1 ? Result.partial(2) : Result.ok();
              },
              { batchSize: 4 },
            ),
          },
        },
      });
      await db.transaction((tx) =>
        o.enqueueBatch(
          tx,
          'q',
          [1, 2, 3, 4, 5].map((n) => ({ type: 'T', payload: n })),
        ),
      );
      await waitFor(async () => (await o.stats())[0].depth === 0);
      expect(batches[0]).toEqual([1, 2, 3, 4]);
      expect(batches.flat().filter((s) => s > 2)).toEqual(expect.arrayContaining([3, 4, 5]));
      expect(batches[1][0]).toBe(3);
    });

    it('skips a message whose dedupe key was already enqueued on the queue', async () => {
      const r = recorder();
      const o = await start({ queues: { q: { partitions: 2, delivery: r.delivery } } });
      const first = await db.transaction((tx) =>
        o.enqueue(tx, 'q', { type: 'T', payload: 1, dedupeKey: 'once' }),
      );
      const again = await db.transaction((tx) =>
        o.enqueueBatch(tx, 'q', [
          { type: 'T', payload: 2, dedupeKey: 'once' },
          { type: 'T', payload: 3, dedupeKey: 'twice' },
          { type: 'T', payload: 4, dedupeKey: 'twice' },
        ]),
      );
      expect(first.duplicate).toBe(false);
      expect(again.map((e) => e.duplicate)).toEqual([true, false, true]);
      expect(again[0].id).toBe(first.id);
      expect(again[2].id).toBe(again[1].id);
      await waitFor(() => r.seen.length === 2);
      await sleep(200);
      expect(r.seen.map((m) => m.payload).sort()).toEqual([1, 3]);
    });

    // SQLite has one writer: no other connection can commit while the transaction is open.
    if (kind.dialect !== 'sqlite')
      it('deduplicates against a key another connection committed after the transaction first read', async () => {
        const r = recorder();
        const o = await start({ queues: { q: { partitions: 2, delivery: r.delivery } } });
        const outcome = await db.transaction(async (tx) => {
          // The first read: under REPEATABLE READ (MySQL's default) the snapshot is taken here.
          await (tx as { query(sql: string): Promise<unknown> }).query(
            `SELECT COUNT(*) FROM ${db.prefix}_queues`,
          );
          const other = await db.transaction((tx2) =>
            o.enqueue(tx2, 'q', { type: 'T', payload: 1, dedupeKey: 'k' }),
          );
          const mine = await o.enqueue(tx, 'q', { type: 'T', payload: 2, dedupeKey: 'k' });
          return { other, mine };
        });
        expect(outcome.mine).toMatchObject({ duplicate: true, id: outcome.other.id });
        await waitFor(() => r.seen.length === 1);
        await sleep(200);
        expect(r.seen.map((m) => m.payload)).toEqual([1]);
      });

    it('a batch outcome that acknowledges the whole batch acknowledges it, whatever it says comes next', async () => {
      const { logger, errors } = recordingLogger();
      const sizes: number[] = [];
      const o = await start({
        logger,
        queues: {
          q: {
            partitions: 1,
            delivery: leasedBatch(
              (batch) => {
                sizes.push(batch.length);
                return Result.partial(batch.length, Result.retry({ delayMs: 10 }));
              },
              { batchSize: 3 },
            ),
          },
        },
      });
      await db.transaction((tx) =>
        o.enqueueBatch(
          tx,
          'q',
          [1, 2, 3, 4, 5].map((n) => ({ type: 'T', payload: n })),
        ),
      );
      await waitFor(async () => (await o.stats())[0].depth === 0, 5000, 'every message acknowledged');
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(5);
      expect(errors).toEqual([]);
    });

    it('rejects bad input with a typed error and writes nothing', async () => {
      const o = await producer({ queues: { q: { partitions: 2 } }, maxPayloadBytes: 100 });
      const bad: [string, unknown, unknown][] = [
        ['nope', { type: 'T', payload: 1 }, UnknownQueue],
        ['q', { type: 'T', payload: 'x'.repeat(200) }, MessageTooLarge],
        ['q', { type: '', payload: 1 }, InvalidArgument],
        ['q', { type: 'T', payload: 1, partition: 2 }, InvalidArgument],
        ['q', { type: 'T', payload: undefined }, InvalidArgument],
        ['q', { type: 'T', payload: 1, headers: { a: 1 } }, InvalidArgument],
        ['q', { type: 'T', payload: 1, id: 'not-a-uuid' }, InvalidArgument],
        ['bad name!', { type: 'T', payload: 1 }, InvalidArgument],
        ['q', { type: 'T', paylod: 1 }, InvalidArgument],
        ['q', { type: 'Order\u0000Placed', payload: 1 }, InvalidArgument],
        ['q', { type: 'T', key: 'k\u0000', payload: 1 }, InvalidArgument],
        ['q', { type: 'T', dedupeKey: 'd\ud800', payload: 1 }, InvalidArgument],
        ['q', { type: 'T', payload: 1, headers: { a: 'x\u0000' } }, InvalidArgument],
        ['q', { type: 'T', payload: 1, headers: new Map([['trace', 'abc']]) }, InvalidArgument],
        ['q', { type: 'T', payload: 1, headers: new Date(0) }, InvalidArgument],
        ['q', { type: 'T', payload: 1, headers: { [Symbol('s')]: 'x' } }, InvalidArgument],
        // What JSON would carry as something else: refused, not changed.
        [
          'q',
          {
            type: 'T',
            payload: {
              get flaky() {
                return Math.random();
              },
            },
          },
          UnserializableData,
        ],
        ['q', { type: 'T', payload: new Map([['a', 1]]) }, UnserializableData],
        ['q', { type: 'T', payload: { s: new Set([1]) } }, UnserializableData],
        ['q', { type: 'T', payload: { b: new ArrayBuffer(2) } }, UnserializableData],
        ['q', { type: 'T', payload: { a: undefined } }, UnserializableData],
        ['q', { type: 'T', payload: [1, undefined] }, UnserializableData],
        ['q', { type: 'T', payload: { f: new Float64Array([1.5]) } }, UnserializableData],
        ['q', { type: 'T', payload: { n: Number.NaN } }, UnserializableData],
        ['q', { type: 'T', payload: { n: Number.POSITIVE_INFINITY } }, UnserializableData],
        ['q', { type: 'T', payload: { when: new Date(0) } }, UnserializableData],
        ['q', { type: 'T', payload: { big: 1n } }, UnserializableData],
        // biome-ignore lint/suspicious/noSparseArray: the hole is the point
        ['q', { type: 'T', payload: [1, , 3] }, UnserializableData],
      ];
      for (const [queue, message, error] of bad)
        await expect(
          db.transaction((tx) =>
            o.enqueueBatch(tx, queue, [{ type: 'T', payload: 'fine' }, message as never]),
          ),
        ).rejects.toBeInstanceOf(error as never);
      expect(await count('incoming')).toBe(0);
      await expect(Outbox.producer(db.url, { prefix: 'Bad-Prefix' })).rejects.toBeInstanceOf(InvalidArgument);
      await expect(
        Outbox.producer(db.url, { prefix: db.prefix, queues: { q: { partitions: 3 } } }),
      ).rejects.toMatchObject({
        code: 'QUEUE_CONFLICT',
      });
    });

    it('reports depth, lag, oldest age, retrying partitions and dead letters', async () => {
      const p = await producer({ queues: { q: { partitions: 2 } } });
      await db.transaction((tx) =>
        p.enqueueBatch(
          tx,
          'q',
          [1, 2, 3].map((n) => ({ type: 'T', payload: n })),
        ),
      );
      await sleep(30);
      let [s] = await p.stats();
      expect(s).toMatchObject({ queue: 'q', partitions: 2, pending: 3, lag: 0, depth: 3, deadLetters: 0 });
      expect(s.oldestAgeMs).toBeGreaterThanOrEqual(20);
      let calls = 0;
      const o = await start({
        queues: {
          q: {
            partitions: 2,
            delivery: leased(
              async () => (++calls === 1 ? Result.reject('bad') : Result.retry({ delayMs: 60_000 })),
              {
                batchSize: 1,
              },
            ),
          },
        },
      });
      await waitFor(
        async () => (await o.stats())[0].retryingPartitions >= 1 && (await o.stats())[0].pending === 0,
      );
      [s] = await o.stats();
      expect(s.deadLetters).toBe(1);
      expect(s.lag).toBeGreaterThanOrEqual(1);
      expect(s.depth).toBe(s.lag);
    });

    it('wakes another process’s workers for new messages', async () => {
      const r = recorder();
      // The consumer's poll is slow: on PostgreSQL the wake-up arrives by NOTIFY; elsewhere the poll finds it.
      const poll = kind.dialect === 'postgres' ? 60_000 : 200;
      await start({
        queues: { q: { partitions: 2, delivery: r.delivery } },
        tuning: { pollIntervalMs: poll },
      });
      const p = await producer();
      const t0 = Date.now();
      await db.transaction((tx) => p.enqueue(tx, 'q', { type: 'T', payload: 1 }));
      await waitFor(() => r.seen.length === 1, 5000, 'cross-process delivery');
      if (kind.dialect === 'postgres') expect(Date.now() - t0).toBeLessThan(1000);
    });

    it('reports tables that exist without a recorded version in one typed error', async () => {
      await producer({ queues: { q: { partitions: 1 } } });
      await db.query(`DELETE FROM ${table('migrations')}`);
      await expect(Outbox.producer(db.url, { prefix: db.prefix })).rejects.toMatchObject({
        code: 'SCHEMA_VERSION',
        message: expect.stringContaining(`${db.prefix}_queues`),
      });
    });

    it('reports a column its statements need that is missing, at start, in one typed error', async () => {
      await producer({ queues: { q: { partitions: 1 } } });
      await db.query(`ALTER TABLE ${table('outgoing')} DROP COLUMN headers`);
      await expect(Outbox.start(db.url, { prefix: db.prefix })).rejects.toMatchObject({
        code: 'SCHEMA_VERSION',
        message: expect.stringContaining(`${db.prefix}_outgoing`),
      });
    });

    it('lists each partition with its positions, lease holder, retries and whether it is stuck', async () => {
      const p = await producer({ queues: { q: { partitions: 3 } } });
      await db.transaction((tx) =>
        p.enqueueBatch(tx, 'q', [
          { type: 'Good', payload: 1, partition: 0 },
          { type: 'Good', payload: 2, partition: 0 },
          { type: 'Bad', payload: 3, partition: 1 },
          { type: 'Good', payload: 4, partition: 1 },
        ]),
      );
      expect((await p.partitions('q')).map((x) => [x.partition, x.pending, x.sequenced])).toEqual([
        [0, 2, 0],
        [1, 2, 0],
        [2, 0, 0],
      ]);
      await sleep(30);
      expect((await p.partitions('q', { stuckAfterMs: 10 })).map((x) => x.stuck)).toEqual([
        'waiting',
        'waiting',
        null,
      ]);
      const o = await start({
        owner: 'dashboard-test',
        queues: {
          q: {
            partitions: 3,
            delivery: leased(
              async (m) =>
                m.type === 'Bad' ? Result.retry({ delayMs: 60_000, reason: 'not yet' }) : Result.ok(),
              {
                batchSize: 1,
              },
            ),
          },
        },
      });
      await waitFor(async () => {
        const [a, b] = await o.partitions('q');
        return a.acknowledged === 2 && b.attempts === 1;
      });
      const [first, second, idle] = await o.partitions('q');
      expect(first).toMatchObject({ sequenced: 2, acknowledged: 2, pending: 0, undelivered: 0, stuck: null });
      expect(first.oldestAgeMs).toBe(0);
      expect(second).toMatchObject({
        sequenced: 2,
        acknowledged: 0,
        undelivered: 2,
        attempts: 1,
        stuck: 'retrying',
        lastError: 'not yet',
      });
      expect(second.retryInMs).toBeGreaterThan(50_000);
      expect(idle).toMatchObject({ sequenced: 0, acknowledged: 0, undelivered: 0, stuck: null });
      // A partition this process delivered holds its lease until it stops.
      expect(first.leaseOwner).toBe('dashboard-test');
      expect(first.leaseExpiresInMs).toBeGreaterThan(0);
      expect((await o.partitions('q', { from: 1, limit: 1 })).map((x) => x.partition)).toEqual([1]);
      await expect(o.partitions('no-such-queue')).rejects.toThrow(UnknownQueue);
      await expect(o.partitions('q', { limit: 0 })).rejects.toThrow(InvalidArgument);
      const [s] = await o.stats();
      expect(s.acknowledgedPosition).toBe(2);
    });

    it('shows a cursor moved past its messages in stats and the log, never as negative lag', async () => {
      const { logger, errors } = recordingLogger();
      const r = recorder();
      const o = await start({ logger, queues: { q: { partitions: 2, delivery: r.delivery } } });
      await db.transaction((tx) => o.enqueue(tx, 'q', { type: 'T', payload: 1, partition: 0 }));
      await waitFor(() => r.seen.length === 1);
      await db.query(`UPDATE ${table('processors')} SET acked_seq = 999`);
      const [s] = await o.stats();
      expect(s).toMatchObject({ lag: 0, cursorsAhead: 2 });
      await waitFor(
        () => errors.some((e) => /past the last message/.test(e.msg ?? '')),
        5000,
        'the error logged',
      );
    });

    it('says what is wrong with a queue whose partition rows do not match its count', async () => {
      await producer({ queues: { q: { partitions: 2 } } });
      await db.query(`UPDATE ${table('queues')} SET partitions = 3`);
      const p = await producer();
      await expect(
        db.transaction((tx) => p.enqueue(tx, 'q', { type: 'T', payload: 1 })),
      ).rejects.toMatchObject({
        code: 'UNKNOWN_QUEUE',
        message: expect.stringContaining('3 partitions but 2 partition rows'),
      });
    });

    it('migrates once when several processes start together, and refuses a newer schema', async () => {
      const all = await Promise.all([1, 2, 3].map(() => producer({ queues: { q: { partitions: 2 } } })));
      expect(all).toHaveLength(3);
      const versions = await db.query(`SELECT version FROM ${table('migrations')} ORDER BY version`);
      expect(versions.map((v) => Number(v.version))).toEqual([1, 2]); // each applied once
      await producer({ migrate: 'verify' });
      await db.query(`INSERT INTO ${table('migrations')} (version, name) VALUES (99, 'future')`);
      await expect(Outbox.producer(db.url, { prefix: db.prefix })).rejects.toBeInstanceOf(
        SchemaVersionMismatch,
      );
      await expect(
        Outbox.producer(db.url, { prefix: `${db.prefix}x`, migrate: 'verify' }),
      ).rejects.toBeInstanceOf(SchemaVersionMismatch);
      expect(Outbox.migrationSql(kind.dialect, 'app')).toContain('CREATE TABLE app_outgoing');
    });
  });
}

function nowExpr(dialect: string): string {
  if (dialect === 'postgres') return '(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint';
  if (dialect === 'mysql') return 'CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)';
  return "CAST(unixepoch('subsec') * 1000 AS INTEGER)";
}
