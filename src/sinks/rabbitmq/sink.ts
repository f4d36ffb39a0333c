import type { Connection, ConnectionOptions, Publisher, ReturnedMessage } from 'rabbitmq-client';
import { BrokerUnavailable, InvalidArgument, SinkPublishFailed } from '../../errors.js';
import { type Logger, silentLogger } from '../../logger.js';
import { requireOptional } from '../../optional-package.js';
import type { Sink, SinkRecord } from '../../sink.js';
import { checkOptions, keys } from '../../validation.js';
import { checkEnvelope, defaultRoute, type Envelope, headersOf } from '../envelope.js';
import { checkKinds } from '../options.js';
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
  /** How long a batch may wait for the broker's confirmations (or for a channel, while it is away). Default 5,000 ms. */
  ackTimeoutMs?: number;
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
  'ackTimeoutMs',
  'name',
  'logger',
);

const EXCHANGE_TYPES = new Set(['topic', 'direct', 'fanout', 'headers']);

/** Longest AMQP routing key and exchange name, in bytes. */
const MAX_SHORT_STRING = 255;

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
  const o = options ?? {};
  checkKinds(
    o,
    {
      connection: 'object',
      routingKey: 'string',
      mandatory: 'boolean',
      ackTimeoutMs: 'timer',
      name: 'string',
    },
    'RabbitMQ sink option',
  );
  const { exchange = 'causeway', declareExchange = 'topic', mandatory = true, ackTimeoutMs = 5000 } = o;
  if (typeof exchange !== 'string' || Buffer.byteLength(exchange) > MAX_SHORT_STRING)
    throw new InvalidArgument(`exchange must be a string of at most ${MAX_SHORT_STRING} bytes`, { exchange });
  if (declareExchange !== false && !EXCHANGE_TYPES.has(declareExchange))
    throw new InvalidArgument(`declareExchange must be false or one of ${[...EXCHANGE_TYPES].join(', ')}`, {
      declareExchange,
    });
  if (
    o.url !== undefined &&
    !(typeof o.url === 'string' && /^amqps?:\/\//.test(o.url)) &&
    (o.url === null || typeof o.url !== 'object')
  )
    throw new InvalidArgument('url must be an amqp:// or amqps:// URL, or connection options', {
      url: typeof o.url === 'string' ? o.url.replace(/\/\/[^@/]*@/, '//***@') : String(o.url),
    });
  if (
    o.connection !== undefined &&
    typeof (o.connection as { createPublisher?: unknown }).createPublisher !== 'function'
  )
    throw new InvalidArgument('connection must be a Connection from rabbitmq-client');
  const envelope = checkEnvelope(o.envelope);
  const routeOf = compileRoute(o.routingKey ?? defaultRoute(envelope, 'causeway'), (v) => v);
  const logger = o.logger ?? silentLogger;
  const name = o.name ?? `rabbitmq:${exchange}`;
  const rabbit = requireOptional<typeof import('rabbitmq-client')>('rabbitmq-client', 'The RabbitMQ sink');
  const owned = o.connection === undefined;
  const url = o.url ?? 'amqp://guest:guest@127.0.0.1:5672';
  const connection =
    o.connection ??
    new rabbit.Connection(
      typeof url === 'string'
        ? { url, acquireTimeout: ackTimeoutMs }
        : { acquireTimeout: ackTimeoutMs, ...url },
    );
  let lastError: unknown;
  if (owned) {
    connection.on('error', (err) => {
      lastError = err;
      logger.warn({ sink: name, err }, 'RabbitMQ sink connection failed; it reconnects');
    });
    connection.on('connection', () => logger.info({ sink: name }, 'RabbitMQ sink connected'));
  }
  const where = `RabbitMQ exchange ${exchange}`;
  try {
    await connection.onConnect(10_000, true);
    // The exchange is checked (or declared) now, so a misfit is refused here, not retried forever.
    if (declareExchange === false) await connection.exchangeDeclare({ exchange, passive: true });
    else await connection.exchangeDeclare({ exchange, type: declareExchange, durable: true });
  } catch (err) {
    if (owned) await connection.close().catch(() => {});
    const cause = lastError ?? err;
    throw new BrokerUnavailable(where, (cause as Error)?.message ?? String(cause), cause);
  }
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
  return new RabbitMqSink(name, connection, owned, publisher, returned, {
    exchange,
    routeOf,
    envelope,
    mandatory,
    ackTimeoutMs,
  });
}

interface RabbitMqSettings {
  exchange: string;
  routeOf: Route;
  envelope: Envelope;
  mandatory: boolean;
  ackTimeoutMs: number;
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
    const settled = await this.settle(sends);
    // The broker returns an unroutable message before confirming it, but the client hands the return
    // on a turn of the event loop later.
    if (this.settings.mandatory) await new Promise(setImmediate);
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

  /**
   * The sends' outcomes, each cut short by `ackTimeoutMs`: a broker that is away is a failure to
   * retry, not a wait. A send cut short may still be confirmed later (a duplicate then). A stop
   * waits for this too, so the batch in flight is confirmed and checkpointed when it can be.
   */
  private async settle(sends: Promise<void>[]): Promise<PromiseSettledResult<void>[]> {
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no confirmation within ${this.settings.ackTimeoutMs} ms`)),
        this.settings.ackTimeoutMs,
      );
    });
    cut.catch(() => {});
    try {
      return await Promise.all(
        sends.map((send) =>
          Promise.race([send, cut]).then(
            (value): PromiseSettledResult<void> => ({ status: 'fulfilled', value }),
            (reason): PromiseSettledResult<void> => ({ status: 'rejected', reason }),
          ),
        ),
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    // A publisher whose channel never came back (the broker away) cannot close cleanly: the
    // connection is closed all the same, or it would go on reconnecting and keep the process alive.
    await this.publisher.close().catch(() => {});
    if (this.owned) await this.connection.close();
  }

  private send(record: SinkRecord): Promise<void> {
    const { exchange, routeOf, envelope, mandatory } = this.settings;
    const routingKey = routeOf(record);
    if (Buffer.byteLength(routingKey) > MAX_SHORT_STRING)
      throw new InvalidArgument(`routing key longer than ${MAX_SHORT_STRING} bytes`, { id: record.id });
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
