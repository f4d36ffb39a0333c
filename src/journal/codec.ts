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
 * strings or keys with lone surrogates, own `__proto__` keys, sparse arrays and arrays with named
 * properties. (What reads back as an equal value of another form: `-0` reads as `0`, as in JSON;
 * byte arrays as Buffers; objects without a prototype as plain objects.)
 */
export function assertSerializable(value: unknown, what = 'data'): void {
  check(value, [], [what]);
}

/**
 * `parents` are the objects above `value` (for cycles, and their count is the depth); `path` the
 * keys leading to it, joined into text only when something is refused.
 */
function check(value: unknown, parents: object[], path: (string | number)[]): void {
  switch (typeof value) {
    case 'string':
      if (!isWellFormedText(value)) refuse(path, LONE_SURROGATE);
      return;
    case 'number':
    case 'boolean':
    case 'undefined':
      return;
    case 'bigint':
      if (value < -(2n ** 63n) || value >= 2n ** 64n) refuse(path, 'bigint outside 64 bits');
      return;
    case 'function':
    case 'symbol':
      refuse(path, `${typeof value} is not serializable`);
  }
  if (value === null || value instanceof Date || value instanceof Uint8Array) return;
  if (parents.length >= MAX_DEPTH) refuse(path, `nested deeper than ${MAX_DEPTH}`);
  const obj = value as object;
  if (parents.includes(obj)) refuse(path, 'circular reference');
  parents.push(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) {
      path.push(i);
      if (!(i in obj)) refuse(path, 'a hole in a sparse array would read back as undefined');
      check(obj[i], parents, path);
      path.pop();
    }
    if (Object.keys(obj).length !== obj.length) refuse(path, 'named properties of an array are not stored');
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null)
      refuse(path, `instance of ${obj.constructor?.name ?? 'unknown class'} is not a plain value`);
    if (Object.getOwnPropertySymbols(obj).length > 0) refuse(path, 'symbol keys are not serializable');
    for (const key in obj) {
      path.push(key);
      if (key === '__proto__')
        refuse(path, 'an own __proto__ key cannot be stored (it would not read back as data)');
      if (!isWellFormedText(key)) refuse(path, LONE_SURROGATE);
      check((obj as Record<string, unknown>)[key], parents, path);
      path.pop();
    }
  }
  parents.pop();
}

function refuse(path: (string | number)[], reason: string): never {
  throw new UnserializableData(pathText(path), reason);
}

/** `data.items[2].note`, from the keys leading to a value. */
const pathText = (path: (string | number)[]): string =>
  path
    .map((k, i) =>
      i === 0
        ? k
        : typeof k === 'number'
          ? `[${k}]`
          : /^[A-Za-z_$][\w$]*$/.test(k)
            ? `.${k}`
            : `[${JSON.stringify(k)}]`,
    )
    .join('');

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

/**
 * Where the MessagePack value at `at` ends (exclusive), reading no further than `limit`: at most
 * `limit` when the value is whole; past `limit` (the least end the bytes read so far call for) when
 * it is cut off; -1 when the bytes are not MessagePack. It reads only the structure, never decoding
 * or allocating, so it is safe on damaged bytes; recovery uses it to find where a frame's body
 * really ends when its length field cannot be trusted.
 */
export function messagePackEnd(b: Uint8Array, at: number, limit: number): number {
  let p = at;
  let pending = 1; // values still to skip
  while (pending > 0) {
    if (p >= limit) return Math.max(p, limit + 1);
    const t = b[p];
    pending--;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) p += 1;
    else if (t <= 0x8f) {
      pending += 2 * (t & 0x0f); // fixmap
      p += 1;
    } else if (t <= 0x9f) {
      pending += t & 0x0f; // fixarray
      p += 1;
    } else if (t <= 0xbf)
      p += 1 + (t & 0x1f); // fixstr
    else if (t === 0xc1)
      return -1; // never used
    else if (t <= 0xdf && SIZED[t - 0xc4] !== undefined) {
      // str, bin and ext: a length, then (ext) a type byte, then the bytes; arrays and maps: a count
      const [lengthBytes, typeBytes, perCount] = SIZED[t - 0xc4]!;
      if (p + 1 + lengthBytes > limit) return limit + 1;
      let n = 0;
      for (let i = 1; i <= lengthBytes; i++) n = n * 256 + b[p + i];
      p += 1 + lengthBytes;
      if (perCount > 0) pending += perCount * n;
      else p += typeBytes + n;
    } else p += FIXED_SIZES[t - 0xca]; // float, int, uint, fixext
  }
  return p;
}

/**
 * MessagePack types 0xc4 to 0xdf with a length or count: [length bytes, type bytes, values per count
 * (0 for byte strings)].
 */
// biome-ignore format: a row per family of types
const SIZED: ([number, number, number] | undefined)[] = [
  [1, 0, 0], [2, 0, 0], [4, 0, 0], // bin 8/16/32
  [1, 1, 0], [2, 1, 0], [4, 1, 0], // ext 8/16/32
  ...Array<undefined>(0xd9 - 0xca),
  [1, 0, 0], [2, 0, 0], [4, 0, 0], // str 8/16/32
  [2, 0, 1], [4, 0, 1], // array 16/32
  [2, 0, 2], [4, 0, 2], // map 16/32
];

/** Sizes of the fixed-size MessagePack types 0xca to 0xd8, marker included. */
const FIXED_SIZES = [5, 9, 2, 3, 5, 9, 2, 3, 5, 9, 3, 4, 6, 10, 18];

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
