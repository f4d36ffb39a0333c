import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgument, type Journal, Outbox, sink } from '../../src/index.js';
import { connectRabbitMqSink } from '../../src/sinks/index.js';
import { freshJournal, recordingLogger, tempDir } from '../helpers.js';
import {
  appendSteps,
  brokerOrSkip,
  canCreateRabbitMq,
  createRabbitMq,
  eventually,
  RABBITMQ_URL,
  RabbitConnection,
  rabbitQueue,
  uniqueName,
} from './brokers.js';

const available = await brokerOrSkip('rabbitmq');
let rabbit: RabbitConnection;
beforeAll(() => {
  if (available) rabbit = new RabbitConnection(RABBITMQ_URL);
});
afterAll(() => rabbit?.close());

const append = (journal: Journal, n: number, from = 0) => appendSteps(journal, n, from, 4);

describe.skipIf(!available)('RabbitMQ sink', () => {
  it('publishes every event persistently, in order, with its id as messageId and a templated routing key', async () => {
    const { journal } = freshJournal();
    const exchange = uniqueName('events');
    const queue = await rabbitQueue(rabbit, exchange);
    try {
      const ids = append(journal, 150);
      const s = await connectRabbitMqSink({
        url: RABBITMQ_URL,
        exchange,
        routingKey: '{scope}.{type}.{entity}',
      });
      const relay = journal.sinkTo(s, { checkpointId: 'rabbit', batchSize: 40 });
      await eventually(() => queue.received.length === 150, 20_000, 'delivered messages');
      await relay.stopAndJoin();
      await s.close();
      expect(queue.received.map((m) => m.messageId)).toEqual(ids);
      expect(queue.received[2].routingKey).toBe('shop.OrderStep.order:2');
      expect(JSON.parse(queue.received[2].body.toString())).toEqual({ step: 2 });
      expect(queue.received[2].headers['causeway-position']).toBe('3');
      expect(journal.checkpoints().find((c) => c.id === 'rabbit')?.position).toBe(150);
    } finally {
      await queue.close();
      await rabbit.exchangeDelete({ exchange });
    }
  });

  it('with the Debezium envelope: route outbox.event.<aggregate type>, headers id and eventType', async () => {
    const { journal } = freshJournal();
    const exchange = uniqueName('debezium');
    const queue = await rabbitQueue(rabbit, exchange, 'outbox.event.#');
    try {
      const [id] = append(journal, 1);
      const s = await connectRabbitMqSink({ url: RABBITMQ_URL, exchange, envelope: 'debezium' });
      const relay = journal.sinkTo(s, { checkpointId: 'dbz' });
      await eventually(() => queue.received.length === 1);
      await relay.stopAndJoin();
      await s.close();
      expect(queue.received[0].routingKey).toBe('outbox.event.shop');
      expect(queue.received[0].headers).toMatchObject({
        id,
        eventType: 'OrderStep',
        aggregateType: 'shop',
        aggregateId: 'order:0',
      });
    } finally {
      await queue.close();
      await rabbit.exchangeDelete({ exchange });
    }
  });

  it('a message no queue is bound to receive is retried (and logged) until a binding takes it', async () => {
    const { logger, warnings } = recordingLogger();
    const { journal } = freshJournal({ logger });
    const exchange = uniqueName('unbound');
    append(journal, 3);
    const s = await connectRabbitMqSink({ url: RABBITMQ_URL, exchange });
    const relay = journal.sinkTo(s, { checkpointId: 'unbound', retryBackoff: { initialMs: 20, maxMs: 50 } });
    await eventually(() => warnings.length >= 2, 10_000, 'logged retries');
    expect((await relay.stats()).position).toBe(0);
    expect(String(warnings[0].obj.err)).toMatch(/no queue is bound/);
    const queue = await rabbitQueue(rabbit, exchange);
    try {
      await eventually(() => queue.received.length === 3, 10_000, 'the messages once bound');
      await relay.stopAndJoin();
      await s.close();
    } finally {
      await queue.close();
      await rabbit.exchangeDelete({ exchange });
    }
  });

  it('publishes an outbox queue through sink(), in order per key', async () => {
    const exchange = uniqueName('outbox');
    const queue = await rabbitQueue(rabbit, exchange);
    const s = await connectRabbitMqSink({ url: RABBITMQ_URL, exchange, routingKey: '{queue}.{type}' });
    const outbox = await Outbox.start(`sqlite:${path.join(tempDir(), 'outbox.db')}`, {
      queues: { toRabbit: { partitions: 2, delivery: sink(s) } },
    });
    try {
      for (let i = 0; i < 40; i++)
        await outbox.enqueueAndCommit('toRabbit', [{ type: 'Step', key: `k${i % 4}`, payload: { i } }]);
      await eventually(() => queue.received.length === 40, 20_000, 'delivered messages');
      for (let k = 0; k < 4; k++) {
        const steps = queue.received
          .filter((m) => m.headers['causeway-key'] === `k${k}`)
          .map((m) => JSON.parse(m.body.toString()).i as number);
        expect(steps).toEqual([...steps].sort((a, b) => a - b));
      }
      // The broker has them before the outbox records its acknowledgement of the last batch.
      await eventually(async () => (await outbox.stats())[0].delivered === 40, 10_000, 'acknowledged');
    } finally {
      await outbox.stop();
      await s.close();
      await queue.close();
      await rabbit.exchangeDelete({ exchange });
    }
  });

  it('refuses at connect an exchange of another type, a missing one it may not declare, and bad credentials', async () => {
    const exchange = uniqueName('direct');
    await rabbit.exchangeDeclare({ exchange, type: 'direct', durable: true });
    try {
      await expect(connectRabbitMqSink({ url: RABBITMQ_URL, exchange })).rejects.toMatchObject({
        code: 'BROKER_UNAVAILABLE',
      });
    } finally {
      await rabbit.exchangeDelete({ exchange });
    }
    await expect(
      connectRabbitMqSink({ url: RABBITMQ_URL, exchange: uniqueName('missing'), declareExchange: false }),
    ).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    await expect(connectRabbitMqSink({ url: 'amqp://guest:wrong@127.0.0.1:5672' })).rejects.toMatchObject({
      code: 'BROKER_UNAVAILABLE',
      message: expect.stringMatching(/ACCESS_REFUSED|auth|credentials|password/i),
    });
  }, 30_000);

  it('rejects bad options with typed errors', async () => {
    await expect(connectRabbitMqSink({ declareExchange: 'bogus' as never })).rejects.toThrow(InvalidArgument);
    await expect(connectRabbitMqSink({ mandatory: 'no' as never })).rejects.toThrow(InvalidArgument);
    await expect(connectRabbitMqSink({ logger: 'x' as never })).rejects.toThrow(InvalidArgument);
    await expect(connectRabbitMqSink({ url: 'http://127.0.0.1:5672' })).rejects.toThrow(InvalidArgument);
    await expect(connectRabbitMqSink({ connection: {} as never })).rejects.toThrow(InvalidArgument);
    await expect(connectRabbitMqSink({ ackTimeoutMs: 2 ** 31 })).rejects.toThrow(InvalidArgument);
    await expect(connectRabbitMqSink({ routingKey: '{nope}' })).rejects.toThrow(InvalidArgument);
    await expect(connectRabbitMqSink({ exchange: 'x'.repeat(256) })).rejects.toThrow(InvalidArgument);
    await expect(connectRabbitMqSink({ colour: 1 } as never)).rejects.toThrow(InvalidArgument);
  });
});

describe.skipIf(!available || !canCreateRabbitMq())('RabbitMQ sink with a broker that stops', () => {
  let own: Awaited<ReturnType<typeof createRabbitMq>>;
  beforeAll(async () => {
    own = await createRabbitMq();
  }, 120_000);
  afterAll(() => own?.remove(), 60_000);

  it('a batch sent while RabbitMQ is down fails within ackTimeoutMs, and a relay stops promptly', async () => {
    const exchange = uniqueName('down');
    const { journal } = freshJournal();
    const s = await connectRabbitMqSink({ url: own.url, exchange, ackTimeoutMs: 1000, mandatory: false });
    await own.stop();
    try {
      append(journal, 5);
      const relay = journal.sinkTo(s, { checkpointId: 'down', retryBackoff: { initialMs: 100, maxMs: 100 } });
      await eventually(async () => (await relay.stats()).failing, 5000, 'the first failure');
      const started = Date.now();
      await relay.stopAndJoin();
      expect(Date.now() - started).toBeLessThan(3000);
      await s.close().catch(() => {});
    } finally {
      await own.start();
    }
  }, 60_000);

  it('close() after a publish that timed out while RabbitMQ is down closes the connection', async () => {
    const exchange = uniqueName('closing');
    const s = await connectRabbitMqSink({ url: own.url, exchange, mandatory: false });
    await own.stop();
    try {
      const record = {
        id: 'r1',
        type: 'T',
        source: 'outbox' as const,
        aggregateType: 'q',
        aggregateId: 'k',
        fields: {},
        payload: new Uint8Array([1]),
        contentType: 'application/octet-stream' as const,
        headers: {},
        time: new Date(),
      };
      await expect(s.publish([record], AbortSignal.timeout(200))).rejects.toMatchObject({
        code: 'SINK_PUBLISH_FAILED',
      });
      await expect(s.close()).resolves.toBeUndefined();
    } finally {
      await own.start();
    }
  }, 60_000);

  it('holds its batch while RabbitMQ is down and loses nothing once it is back', async () => {
    const { logger, warnings } = recordingLogger();
    const { journal } = freshJournal({ logger });
    const exchange = uniqueName('outage');
    const reader = new RabbitConnection(own.url);
    reader.on('error', () => {}); // the broker is stopped on purpose
    try {
      const queue = await rabbitQueue(reader, exchange);
      const s = await connectRabbitMqSink({ url: own.url, exchange, logger });
      const relay = journal.sinkTo(s, {
        checkpointId: 'outage',
        batchSize: 20,
        retryBackoff: { initialMs: 50, maxMs: 500 },
      });
      const ids = append(journal, 60);
      await eventually(async () => (await relay.stats()).position === 60, 20_000, 'the first events');
      await own.stop();
      ids.push(...append(journal, 60, 60));
      await eventually(async () => (await relay.stats()).failing, 20_000, 'the relay to notice');
      await own.start();
      await eventually(async () => (await relay.stats()).position === 120, 60_000, 'the relay to catch up');
      await relay.stopAndJoin();
      await s.close();
      await eventually(
        () => new Set(queue.received.map((m) => m.messageId)).size === 120,
        20_000,
        'all messages',
      );
      // At least once: a batch in flight when the broker went away may arrive twice, never out of order.
      const firstSeen = [...new Set(queue.received.map((m) => m.messageId))];
      expect(firstSeen).toEqual(ids);
      expect(warnings.some((w) => w.msg === 'sink publish failed; it is tried again')).toBe(true);
      await queue.close();
    } finally {
      await reader.close();
    }
  }, 120_000);
});
