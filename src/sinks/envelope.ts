import { InvalidArgument } from '../errors.js';
import type { SinkRecord } from '../sink.js';

/**
 * What a published message looks like.
 * - `causeway` (default): the payload as the body, and the record's `causeway-*` headers.
 * - `debezium`: what Debezium's outbox event router emits, so CDC consumers read it unchanged: the
 *   payload as the body, headers `id`, `eventType`, `aggregateType` and `aggregateId` (the
 *   `causeway-*` ones too), and by default the route `outbox.event.<aggregateType>`.
 */
export type Envelope = 'causeway' | 'debezium';

export function checkEnvelope(envelope: unknown): Envelope {
  if (envelope === undefined) return 'causeway';
  if (envelope === 'causeway' || envelope === 'debezium') return envelope;
  throw new InvalidArgument("envelope must be 'causeway' or 'debezium'", { envelope });
}

/** The headers a record is published with under `envelope`. */
export function headersOf(record: SinkRecord, envelope: Envelope): Record<string, string> {
  if (envelope === 'causeway') return { ...record.headers };
  return {
    ...record.headers,
    id: record.id,
    eventType: record.type,
    aggregateType: record.aggregateType,
    aggregateId: record.aggregateId,
  };
}

/** The default route template of each envelope: `<prefix>.<aggregate type>.<type>`, or Debezium's. */
export function defaultRoute(envelope: Envelope, prefix: string): string {
  return envelope === 'debezium' ? 'outbox.event.{aggregateType}' : `${prefix}.{aggregateType}.{type}`;
}
