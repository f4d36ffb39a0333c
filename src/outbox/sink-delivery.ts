/**
 * An outbox queue delivered to a broker: each partition's batch is published through a sink, in
 * order, and acknowledged only once the broker has acknowledged it.
 */
import { InvalidArgument, SinkPublishFailed } from '../errors.js';
import { publishInSpan, type Sink, type SinkRecord } from '../sink.js';
import { leasedBatch, Result } from './results.js';
import type { BatchOutcome, Delivery, DeliveryOptions, Message } from './types.js';

/**
 * A delivery that publishes the queue's messages through `sink` (see `causewayjs/sinks`), with the
 * outbox's leases, retries, backoff and dead letters: a batch the broker acknowledged in part is
 * acknowledged in part, the rest retried after the queue's backoff; a message the broker refuses for
 * good goes to the dead letters. Messages are published with headers `causeway-message-id`,
 * `causeway-queue`, `causeway-partition`, `causeway-seq`, `causeway-type`, the key as `causeway-key`,
 * and their own headers.
 *
 * @example
 * const nats = await connectNatsSink({ stream: 'ORDERS', subject: 'orders.{type}' });
 * Outbox.builder(db).queue('toNats', { partitions: 8, delivery: sink(nats) });
 */
export function sink(target: Sink, options: DeliveryOptions = {}): Delivery {
  if (typeof target?.publish !== 'function' || typeof target.name !== 'string')
    throw new InvalidArgument('sink() needs a Sink (a name and a publish function)');
  return leasedBatch(async (messages, ctx): Promise<BatchOutcome> => {
    const records: SinkRecord[] = [];
    for (const m of messages) {
      try {
        records.push(sinkRecordOf(m));
      } catch (err) {
        const reject = Result.reject((err as Error).message);
        return records.length === 0 ? reject : Result.partial(records.length, reject);
      }
    }
    try {
      await publishInSpan(target, records, ctx.signal);
      return Result.ok();
    } catch (e) {
      const err =
        e instanceof SinkPublishFailed ? e : new SinkPublishFailed(target.name, 0, false, String(e), e);
      const published = Math.min(err.published, records.length);
      if (published === records.length) return Result.ok();
      const next = err.permanent ? Result.reject(err.message) : Result.retry({ reason: err.message });
      return published === 0 ? next : Result.partial(published, next);
    }
  }, options);
}

const utf8 = new TextEncoder();

/** An outbox message as a sink publishes it. */
export function sinkRecordOf(m: Message): SinkRecord {
  const bytes = m.payload instanceof Uint8Array;
  const headers: Record<string, string> = {
    ...m.headers,
    'causeway-message-id': m.id,
    'causeway-type': m.type,
    'causeway-queue': m.queue,
    'causeway-partition': String(m.partition),
    'causeway-seq': String(m.seq),
  };
  if (m.key !== null) headers['causeway-key'] = m.key;
  const fields: Record<string, string> = { type: m.type, queue: m.queue, partition: String(m.partition) };
  if (m.key !== null) fields.key = m.key;
  return {
    id: m.id,
    type: m.type,
    source: 'outbox',
    aggregateType: m.queue,
    aggregateId: m.key ?? m.id,
    fields,
    payload: bytes ? (m.payload as Uint8Array) : utf8.encode(JSON.stringify(m.payload ?? null)),
    contentType: bytes ? 'application/octet-stream' : 'application/json',
    headers,
    time: m.enqueuedAt,
  };
}
