import { Packr } from 'msgpackr';
import { UnserializableData } from '../errors.js';
import { isWellFormedText } from '../validation.js';
import { blake3Of } from './hash.js';

// Plain MessagePack (no msgpackr records) so other languages can read segments; bigint round-trips.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint', moreTypes: false });

export const pack = (value: unknown): Buffer => packr.pack(value);
export const unpack = (bytes: Uint8Array): unknown => packr.unpack(bytes);

const MAX_DEPTH = 100;
const LONE_SURROGATE = 'a lone surrogate would be stored as U+FFFD, not as given';

/**
 * Throws {@link UnserializableData} for values MessagePack would not give back as they were:
 * functions, symbols, class instances other than Date and byte arrays, cycles, excessive depth,
 * strings or keys with lone surrogates, and own `__proto__` keys. (What reads back differently but
 * equal: `-0` reads as `0`, byte arrays as Buffers.)
 */
export function assertSerializable(value: unknown, path = 'data'): void {
  check(value, path, 0, []);
}

function check(value: unknown, path: string, depth: number, stack: object[]): void {
  switch (typeof value) {
    case 'string':
      if (!isWellFormedText(value)) throw new UnserializableData(path, LONE_SURROGATE);
      return;
    case 'number':
    case 'boolean':
    case 'undefined':
      return;
    case 'bigint':
      if (value < -(2n ** 63n) || value >= 2n ** 64n)
        throw new UnserializableData(path, 'bigint outside 64 bits');
      return;
    case 'function':
    case 'symbol':
      throw new UnserializableData(path, `${typeof value} is not serializable`);
  }
  if (value === null || value instanceof Date || value instanceof Uint8Array) return;
  if (depth >= MAX_DEPTH) throw new UnserializableData(path, `nested deeper than ${MAX_DEPTH}`);
  const obj = value as object;
  if (stack.includes(obj)) throw new UnserializableData(path, 'circular reference');
  stack.push(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) check(obj[i], `${path}[${i}]`, depth + 1, stack);
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new UnserializableData(
        path,
        `instance of ${obj.constructor?.name ?? 'unknown class'} is not a plain value`,
      );
    }
    if (Object.getOwnPropertySymbols(obj).length > 0)
      throw new UnserializableData(path, 'symbol keys are not serializable');
    for (const key in obj) {
      if (key === '__proto__')
        throw new UnserializableData(
          path,
          'an own __proto__ key cannot be stored (it would not read back as data)',
        );
      if (!isWellFormedText(key))
        throw new UnserializableData(`${path}[${JSON.stringify(key)}]`, LONE_SURROGATE);
      check((obj as Record<string, unknown>)[key], `${path}.${key}`, depth + 1, stack);
    }
  }
  stack.pop();
}

/** Frame kinds stored in segments. */
export const FrameKind = { Event: 1, BatchBegin: 2, BatchCommit: 3 } as const;

/** An event as stored in a segment frame: raw bytes for ids, hashes and payload. */
export interface EventRecord {
  id: Buffer;
  entity: string;
  scope: string;
  type: string;
  streamVersion: number;
  position: number;
  timestamp: number;
  correlation: Buffer;
  causation: Buffer | null;
  payloadVersion: number;
  /** MessagePack of the metadata object, or null. */
  metadata: Buffer | null;
  /** MessagePack of the event data. */
  data: Buffer;
  prevHash: Buffer;
  hash: Buffer;
  idemKey: string | null;
  idemDigest: Buffer | null;
  /** Canonical JSON of the receipt extensions, or null. */
  extensions: Buffer | null;
  /**
   * How the event is framed and hashed: 1 (the first layout: the hash leaves out the idempotency
   * key and digest) or 2 (every stored field is hashed). Events keep the layout they were written in.
   */
  layout: EventLayout;
}

/** Event layouts this code reads; it writes the newest. */
export type EventLayout = 1 | 2;
export const CURRENT_LAYOUT: EventLayout = 2;

export function encodeBatchMarker(
  kind: typeof FrameKind.BatchBegin | typeof FrameKind.BatchCommit,
  count: number,
): Buffer {
  return packr.pack([kind, count]);
}

/**
 * Whether the bytes at `at` can begin a frame body. Every frame body, of every kind and layout, is a
 * MessagePack array whose first element is its kind (a positive fixint); nothing about a kind's
 * fields is assumed, so frames of later layouts are recognised as data too.
 */
export function mayStartFrameBody(b: Uint8Array, at: number): boolean {
  const t = b[at];
  let first: number;
  if (t > 0x90 && t <= 0x9f)
    first = at + 1; // fixarray of 1-15 elements
  else if (t === 0xdc)
    first = at + 3; // array 16
  else if (t === 0xdd)
    first = at + 5; // array 32
  else return false;
  return first < b.length && b[first] >= 1 && b[first] <= 0x7f;
}

/** A decoded frame body. */
export type FrameBody =
  | { kind: typeof FrameKind.Event; event: EventRecord }
  | { kind: typeof FrameKind.BatchBegin | typeof FrameKind.BatchCommit; count: number };

const EMPTY = Buffer.alloc(0);

/**
 * What an idempotency key remembers: a digest of the event it was used for. Data and metadata are
 * digested in a canonical form (object keys sorted), so `{ a, b }` and `{ b, a }` are one event.
 */
export function idempotencyDigest(
  entity: string,
  scope: string,
  type: string,
  payloadVersion: number,
  metadata: unknown,
  data: unknown,
): Buffer {
  const meta = metadata === undefined ? null : pack(canonical(metadata));
  const head = Buffer.from(
    JSON.stringify(['v2', entity, scope, type, payloadVersion, meta ? meta.length : -1]),
  );
  return blake3Of(head, meta ?? EMPTY, pack(canonical(data))).subarray(0, 16);
}

/** The digest journals kept before digests were canonical, over the bytes as packed. */
export function legacyIdempotencyDigest(
  entity: string,
  scope: string,
  type: string,
  payloadVersion: number,
  metadata: Buffer | null,
  data: Buffer,
): Buffer {
  const head = Buffer.from(
    JSON.stringify([entity, scope, type, payloadVersion, metadata ? metadata.length : -1]),
  );
  return blake3Of(head, metadata ?? EMPTY, data).subarray(0, 16);
}

/** A copy of a serializable value with every object's keys in sorted order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object' || value instanceof Date || value instanceof Uint8Array)
    return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = canonical((value as Record<string, unknown>)[key]);
  return out;
}
