/**
 * The contract between what Causeway delivers (journal events, outbox messages) and a message
 * broker. The journal and the outbox drive a sink; `causewayjs/sinks` has the NATS JetStream and
 * RabbitMQ ones. A sink of your own only has to keep this contract.
 */
import { inSpan, messagingSpan } from './tracing.js';

/** One journal event or outbox message, as a sink publishes it. */
export interface SinkRecord {
  /** The event or message id: the broker's deduplication id (`Nats-Msg-Id`, AMQP `messageId`). */
  readonly id: string;
  readonly type: string;
  /** `journal` for an event, `outbox` for a message. */
  readonly source: 'journal' | 'outbox';
  /**
   * What the record is about, in Debezium's outbox terms: the aggregate type (the event's scope, or
   * the message's queue) and id (the event's entity, or the message's key, else its id).
   */
  readonly aggregateType: string;
  readonly aggregateId: string;
  /** The journal's global position of an event; absent for an outbox message. */
  readonly position?: number;
  /** Template fields for subjects and routing keys: `type`, `entity`, `scope`, `queue`, `key`, `partition`. */
  readonly fields: Readonly<Record<string, string>>;
  /** The payload: a JSON document, or the bytes given. */
  readonly payload: Uint8Array;
  readonly contentType: 'application/json' | 'application/octet-stream';
  /** `causeway-*` headers, the message's own headers and a W3C `traceparent` when there is one. */
  readonly headers: Readonly<Record<string, string>>;
  /** When the event happened or the message was enqueued. */
  readonly time: Date;
}

/**
 * A publisher to a broker.
 *
 * `publish` sends the records in order and resolves only once the broker has acknowledged every one
 * (stored it durably, as far as the broker's settings go). It rejects with `SinkPublishFailed`
 * saying how many leading records were acknowledged and whether trying again can help; the caller
 * retries from the first unacknowledged record, so a sink must be idempotent by record id or accept
 * that a record acknowledged but not reported is sent twice.
 */
export interface Sink {
  /** Names the sink in logs, stats and metrics (`nats:orders`, `rabbitmq:events`). */
  readonly name: string;
  publish(records: readonly SinkRecord[], signal?: AbortSignal): Promise<void>;
  /**
   * A sink that keeps the journal's positions itself (NATS mirror mode: stream sequence = position)
   * returns the last position it holds; the journal relay then starts after it and keeps no
   * checkpoint of its own. Other sinks leave it out.
   */
  resumeAfter?(): Promise<number>;
  /** Closes the connection (waiting for what is in flight). */
  close(): Promise<void>;
}

/**
 * `sink.publish(records)` in a PRODUCER span `send <sink>` linked to the records' trace contexts
 * (when any has one), with the messaging system named by the sink's name (`nats:…` → `nats`).
 */
export function publishInSpan(
  sink: Sink,
  records: readonly SinkRecord[],
  signal?: AbortSignal,
): Promise<void> {
  const system = /^[a-z]+(?=:)/.exec(sink.name)?.[0] ?? 'causeway';
  return inSpan(
    `send ${sink.name}`,
    {
      kind: 'producer',
      when: 'linked',
      from: records.map((r) => r.headers),
      attributes: messagingSpan('send', 'publish', sink.name, records.length, system),
    },
    () => sink.publish(records, signal),
  );
}
