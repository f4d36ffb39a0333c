import type { Row } from '../../sql/index.js';
import type { EventRecord } from '../codec.js';
import { idFromString } from '../ids.js';

/** A row of the events table (with, once sequenced, its log columns) as the journal's event record. */
export function recordOfRow(row: Row): EventRecord {
  const bytes = (v: unknown) => (v === null || v === undefined ? null : (v as Buffer));
  return {
    id: idFromString(row.id, 'id'),
    entity: row.entity as string,
    scope: row.scope as string,
    type: row.type as string,
    streamVersion: Number(row.stream_version),
    position: Number(row.position ?? 0),
    timestamp: Number(row.timestamp),
    correlation: idFromString(row.correlation_id, 'correlation_id'),
    causation: row.causation_id === null ? null : idFromString(row.causation_id, 'causation_id'),
    payloadVersion: Number(row.payload_version),
    metadata: bytes(row.metadata),
    data: row.data as Buffer,
    prevHash: (row.prev_hash as Buffer | undefined) ?? Buffer.alloc(32),
    hash: (row.hash as Buffer | undefined) ?? Buffer.alloc(32),
    idemKey: (row.idem_key as string | null) ?? null,
    idemDigest: bytes(row.idem_digest),
    extensions: bytes(row.extensions),
    layout: Number(row.layout) as EventRecord['layout'],
  };
}
