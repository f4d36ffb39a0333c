import type { Connection, ConnectionOptions, Publisher, ReturnedMessage } from 'rabbitmq-client';
import { InvalidArgument, SinkPublishFailed } from '../../errors.js';
import { type Logger, silentLogger } from '../../logger.js';
import { requireOptional } from '../../optional-package.js';
import type { Sink, SinkRecord } from '../../sink.js';
import { checkOptions, keys } from '../../validation.js';
import { checkEnvelope, defaultRoute, type Envelope, headersOf } from '../envelope.js';
import { compileRoute, type Route } from '../route.js';

/** Options of {@link connectRabbitMqSink}. */
export interface RabbitMqSinkOptions {
  /** `amqp://user:password@host:port/vhost`, or the client's connection options. Default `amqp://guest:guest@127.0.0.1:5672`. */
  url?: string | ConnectionOptions;
  /** A connection of the application's (rabbitmq-client); the sink then leaves it open on `close()`. */
  connection?: Connection;
  /** The exchange published to. Default `causeway`. */
  exchange?: string;
  /** Declare the exchange (durable) before the first publish and after each reconnection. Default `topic`; `false` to leave it alone. */
  declareExchange?: 'topic' | 'direct' | 'fanout' | 'headers' | false;
  /**
   * The routing key of each record: fields in braces (`type`, `entity`, `scope`, `queue`, `key`,
   * `partition`, `aggregateType`, `aggregateId`). Default `causeway.{aggregateType}.{type}`
   * (Debezium envelope: `outbox.event.{aggregateType}`).
   */
  routingKey?: string;
  envelope?: Envelope;
  /**
   * A message no queue is bound to receive is returned by the broker and counts as not published
   * (retried, so a binding added later gets it). Default true; false lets the broker drop it.
   */
  mandatory?: boolean;
  /** Names the sink in logs and stats. Default `rabbitmq:<exchange>`. */
  name?: string;
  /** Where reconnections and returned messages are reported. */
  logger?: Logger;
}

const OPTIONS = keys(
  'url',
  'connection',
  'exchange',
  'declareExchange',
  'routingKey',
  'envelope',
  'mandatory',
  'name',
  'logger',
);

/** Longest AMQP routing key, in bytes. */
const MAX_ROUTING_KEY = 255;

/**
 * Connects a sink that publishes to a RabbitMQ exchange on a confirm channel: persistent messages,
 * `messageId` = the record id, each batch resolved once the broker has confirmed all of it. AMQP
 * queues keep no publish-side dedupe, so a record the relay sends again after a crash arrives twice:
 * consumers dedupe by `messageId`. Needs `rabbitmq-client`.
 *
 * @example
 * const sink = await connectRabbitMqSink({ exchange: 'orders', routingKey: 'orders.{type}' });
 * outbox.start({ queues: { toRabbit: { partitions: 4, delivery: sink(sink) } } });
 */
export async function connectRabbitMqSink(options: RabbitMqSinkOptions = {}): Promise<Sink> {
  checkOptions(options, OPTIONS, 'RabbitMQ sink option');
  const { exchange = 'causeway', declareExchange = 'topic', mandatory = true } = options;
  if (typeof exchange !== 'string' || exchange.length > 127)
    throw new InvalidArgument('exchange must be a string of at most 127 characters', { exchange });
  const envelope = checkEnvelope(options.envelope);
  const routeOf = compileRoute(options.routingKey ?? defaultRoute(envelope, 'causeway'), (v) => v);
  const logger = options.logger ?? silentLogger;
  const name = options.name ?? `rabbitmq:${exchange}`;
  const rabbit = requireOptional<typeof import('rabbitmq-client')>('rabbitmq-client', 'The RabbitMQ sink');
  const owned = options.connection === undefined;
  const connection =
    options.connection ?? new rabbit.Connection(options.url ?? 'amqp://guest:guest@127.0.0.1:5672');
  const returned = new Set<string>();
  const publisher = connection.createPublisher({
    confirm: true,
    // Retries belong to the relay or the outbox, which log them and back off.
    maxAttempts: 1,
    exchanges: declareExchange === false ? [] : [{ exchange, type: declareExchange, durable: true }],
  });
  // The broker returns a mandatory message no queue takes before it confirms it.
  publisher.on('basic.return', (msg: ReturnedMessage) => {
    if (msg.messageId) returned.add(msg.messageId);
  });
  if (owned) {
    connection.on('error', (err) =>
      logger.warn({ sink: name, err }, 'RabbitMQ sink connection failed; it reconnects'),
    );
    connection.on('connection', () => logger.info({ sink: name }, 'RabbitMQ sink connected'));
  }
  try {
    await connection.onConnect(10_000, true);
  } catch (err) {
    await publisher.close().catch(() => {});
    if (owned) await connection.close().catch(() => {});
    throw err;
  }
  return new RabbitMqSink(name, connection, owned, publisher, returned, {
    exchange,
    routeOf,
    envelope,
    mandatory,
  });
}

interface RabbitMqSettings {
  exchange: string;
  routeOf: Route;
  envelope: Envelope;
  mandatory: boolean;
}

class RabbitMqSink implements Sink {
  constructor(
    readonly name: string,
    private readonly connection: Connection,
    private readonly owned: boolean,
    private readonly publisher: Publisher,
    private readonly returned: Set<string>,
    private readonly settings: RabbitMqSettings,
  ) {}

  async publish(records: readonly SinkRecord[]): Promise<void> {
    const sends: Promise<void>[] = [];
    let unroutable: { index: number; error: unknown } | undefined;
    for (let i = 0; i < records.length; i++) {
      try {
        sends.push(this.send(records[i]));
      } catch (error) {
        unroutable = { index: i, error };
        break;
      }
    }
    const settled = await Promise.allSettled(sends);
    let k = settled.findIndex((s) => s.status === 'rejected');
    let error: unknown = k < 0 ? undefined : (settled[k] as PromiseRejectedResult).reason;
    if (k < 0 && unroutable) ({ index: k, error } = unroutable);
    // A returned message was confirmed, but no queue has it.
    const r = records.findIndex((rec, i) => (k < 0 || i < k) && this.returned.has(rec.id));
    if (r >= 0) {
      k = r;
      error = new Error(`no queue is bound to receive routing key ${this.settings.routeOf(records[r])}`);
    }
    for (const rec of records) this.returned.delete(rec.id);
    if (k < 0) return;
    throw new SinkPublishFailed(
      this.name,
      k,
      error instanceof InvalidArgument,
      (error as Error)?.message ?? String(error),
      error,
    );
  }

  async close(): Promise<void> {
    await this.publisher.close();
    if (this.owned) await this.connection.close();
  }

  private send(record: SinkRecord): Promise<void> {
    const { exchange, routeOf, envelope, mandatory } = this.settings;
    const routingKey = routeOf(record);
    if (Buffer.byteLength(routingKey) > MAX_ROUTING_KEY)
      throw new InvalidArgument(`routing key longer than ${MAX_ROUTING_KEY} bytes`, { id: record.id });
    return this.publisher.send(
      {
        exchange,
        routingKey,
        mandatory,
        durable: true,
        messageId: record.id,
        type: record.type,
        contentType: record.contentType,
        timestamp: Math.floor(record.time.getTime() / 1000),
        headers: headersOf(record, envelope),
      },
      Buffer.from(record.payload.buffer, record.payload.byteOffset, record.payload.byteLength),
    );
  }
}
