import { v7 as uuidv7 } from 'uuid';
import { InvalidArgument, MessageTooLarge, UnserializableData } from '../errors.js';
import type { Row } from '../sql/index.js';
import { isPlainText, isWellFormedText, keys, refuseUnknownKeys } from '../validation.js';
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

/** A name or label: 1 to `max` characters of plain text (no control characters, no lone surrogates). */
const shortString = (value: unknown, what: string, max: number): string => {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || !isPlainText(value))
    throw new InvalidArgument(`${what} must be 1 to ${max} characters of plain text`, { [what]: value });
  return value;
};

const MESSAGE_KEYS = keys('type', 'payload', 'key', 'partition', 'headers', 'dedupeKey', 'id');

/** Checks one message and encodes it; throws before anything is written. */
export function encodeMessage(m: NewMessage, partitions: number, maxPayloadBytes: number): EncodedMessage {
  if (m === null || typeof m !== 'object') throw new InvalidArgument('a message must be an object');
  refuseUnknownKeys(m, MESSAGE_KEYS, 'message field');
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
  if (payload === undefined) throw new InvalidArgument('payload must be bytes or a JSON value');
  assertJsonExact(payload, ['payload'], []);
  let text: string;
  try {
    text = JSON.stringify(payload);
  } catch (e) {
    throw new UnserializableData('payload', (e as Error).message);
  }
  return { payload: Buffer.from(text, 'utf8'), kind: PayloadKind.json };
}

const MAX_DEPTH = 100;

/**
 * Refuses what JSON would not give back as it was ({@link UnserializableData}): NaN and infinities
 * (null), undefined (dropped, or null in an array), holes, bigints, and every object that is not a
 * plain object or array (a Map or Set becomes `{}`, a Date a string, a typed array an object of
 * indices). `-0` reads back as `0`, as in JSON.
 */
function assertJsonExact(value: unknown, path: (string | number)[], parents: object[]): void {
  const obj = value as object;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) refuse(path, `${value} would arrive as null`);
      return;
    case 'undefined':
      refuse(path, 'undefined would be dropped (or arrive as null in an array)');
      return;
    case 'object':
      break;
    default:
      refuse(path, `a ${typeof value} cannot be carried by JSON`);
  }
  if (value === null) return;
  if (parents.length >= MAX_DEPTH) refuse(path, `nested deeper than ${MAX_DEPTH}`);
  if (parents.includes(obj)) refuse(path, 'circular reference');
  parents.push(obj);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      if (!(i in value)) refuse(path, 'a hole in a sparse array would arrive as null');
      assertJsonExact(value[i], path, parents);
      path.pop();
    }
    if (Object.keys(value).length !== value.length) refuse(path, 'named properties of an array are dropped');
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null)
      refuse(
        path,
        `a ${obj.constructor?.name ?? 'class instance'} would not arrive as it is; send plain data`,
      );
    if (Object.getOwnPropertySymbols(obj).length > 0) refuse(path, 'symbol keys are dropped');
    for (const key of Object.keys(obj)) {
      path.push(key);
      // A getter could answer the check one thing and the serialization another.
      if (Object.getOwnPropertyDescriptor(obj, key)?.get) refuse(path, 'a getter is not data');
      assertJsonExact((value as Record<string, unknown>)[key], path, parents);
      path.pop();
    }
  }
  parents.pop();
}

function refuse(path: (string | number)[], reason: string): never {
  throw new UnserializableData(pathText(path), reason);
}

const pathText = (path: (string | number)[]): string =>
  path.map((k, i) => (i === 0 ? k : typeof k === 'number' ? `[${k}]` : `[${JSON.stringify(k)}]`)).join('');

function encodeHeaders(headers: NewMessage['headers']): string | null {
  if (headers === undefined) return null;
  const proto = headers !== null && typeof headers === 'object' ? Object.getPrototypeOf(headers) : undefined;
  if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(headers).length > 0)
    throw new InvalidArgument('headers must be a plain object of strings');
  for (const [k, v] of Object.entries(headers)) {
    if (!isPlainText(k) || k.length === 0)
      throw new InvalidArgument(`header name ${JSON.stringify(k)} must be plain text`);
    if (typeof v !== 'string' || !isWellFormedText(v) || v.includes('\u0000'))
      throw new InvalidArgument(
        `header ${JSON.stringify(k)} must be a string without NUL or lone surrogates`,
      );
  }
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
