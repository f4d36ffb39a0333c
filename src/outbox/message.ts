import { v7 as uuidv7 } from 'uuid';
import { InvalidArgument, MessageTooLarge } from '../errors.js';
import type { Row } from '../sql/index.js';
import { partitionForKey } from './partitioning.js';
import type { DeadLetter, Message, NewMessage } from './types.js';

/** How the payload bytes are to be read back. */
export const PayloadKind = { bytes: 0, json: 1 } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_HEADERS_BYTES = 64 * 1024;

/** A validated message, ready to be written. */
export interface EncodedMessage {
  readonly id: string;
  readonly partition: number;
  readonly key: string | null;
  readonly payload: Buffer;
  readonly kind: number;
  readonly type: string;
  readonly headers: string | null;
  readonly dedupeKey: string | null;
}

const shortString = (value: unknown, what: string, max: number): string => {
  if (typeof value !== 'string' || value.length === 0 || value.length > max)
    throw new InvalidArgument(`${what} must be a string of 1 to ${max} characters`, { [what]: value });
  return value;
};

/** Checks one message and encodes it; throws before anything is written. */
export function encodeMessage(m: NewMessage, partitions: number, maxPayloadBytes: number): EncodedMessage {
  if (m === null || typeof m !== 'object') throw new InvalidArgument('a message must be an object');
  const type = shortString(m.type, 'type', 200);
  const key = m.key === undefined ? null : shortString(m.key, 'key', 255);
  const dedupeKey = m.dedupeKey === undefined ? null : shortString(m.dedupeKey, 'dedupeKey', 255);
  if (m.id !== undefined && (typeof m.id !== 'string' || !UUID.test(m.id)))
    throw new InvalidArgument('a message id must be a UUID', { id: m.id });
  let partition: number;
  if (m.partition !== undefined) {
    if (!Number.isInteger(m.partition) || m.partition < 0 || m.partition >= partitions)
      throw new InvalidArgument(`partition must be a whole number from 0 to ${partitions - 1}`, {
        partition: m.partition,
      });
    partition = m.partition;
  } else if (key !== null) partition = partitionForKey(key, partitions);
  else partition = Math.floor(Math.random() * partitions);
  const { payload, kind } = encodePayload(m.payload);
  if (payload.length > maxPayloadBytes) throw new MessageTooLarge(payload.length, maxPayloadBytes);
  return {
    id: (m.id ?? uuidv7()).toLowerCase(),
    partition,
    key,
    payload,
    kind,
    type,
    headers: encodeHeaders(m.headers),
    dedupeKey,
  };
}

function encodePayload(payload: NewMessage['payload']): { payload: Buffer; kind: number } {
  if (payload instanceof Uint8Array)
    return {
      payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
      kind: PayloadKind.bytes,
    };
  let text: string | undefined;
  try {
    text = JSON.stringify(payload);
  } catch (e) {
    throw new InvalidArgument(`payload is not JSON-serializable: ${(e as Error).message}`);
  }
  if (text === undefined) throw new InvalidArgument('payload must be bytes or a JSON value');
  return { payload: Buffer.from(text, 'utf8'), kind: PayloadKind.json };
}

function encodeHeaders(headers: NewMessage['headers']): string | null {
  if (headers === undefined) return null;
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers))
    throw new InvalidArgument('headers must be an object of strings');
  for (const [k, v] of Object.entries(headers))
    if (typeof v !== 'string') throw new InvalidArgument(`header ${JSON.stringify(k)} must be a string`);
  const text = JSON.stringify(headers);
  if (text.length > MAX_HEADERS_BYTES) throw new InvalidArgument('headers exceed 64 KiB');
  return text;
}

/** The parameters of one row of `insertIncoming`, in column order. */
export const incomingParams = (m: EncodedMessage, partitionId: number): unknown[] => [
  partitionId,
  m.id,
  m.key,
  m.payload,
  m.kind,
  m.type,
  m.headers,
];

function decodePayload(bytes: unknown, kind: unknown): unknown {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes as Uint8Array);
  return Number(kind) === PayloadKind.json ? JSON.parse(buf.toString('utf8')) : buf;
}

const decodeHeaders = (h: unknown): Record<string, string> => (h ? JSON.parse(String(h)) : {});

/** A stored outgoing row as the handler sees it. */
export function decodeMessage(row: Row, queue: string, partition: number, attempts: number): Message {
  return {
    id: String(row.message_id),
    queue,
    partition,
    seq: Number(row.seq),
    type: String(row.payload_type),
    key: row.msg_key == null ? null : String(row.msg_key),
    payload: decodePayload(row.payload, row.payload_kind),
    headers: decodeHeaders(row.headers),
    enqueuedAt: new Date(Number(row.created_at)),
    attempts,
  };
}

/** A stored dead-letter row. */
export function decodeDeadLetter(row: Row): DeadLetter {
  return {
    ...decodeMessage(row, String(row.queue), Number(row.part), Number(row.attempts)),
    deadLetterId: Number(row.id),
    failedAt: new Date(Number(row.failed_at)),
    lastError: row.last_error == null ? null : String(row.last_error),
  };
}
