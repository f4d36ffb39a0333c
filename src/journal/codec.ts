import { Packr } from 'msgpackr';
import { UnserializableData } from '../errors.js';
import { blake3Of } from './hash.js';

// Plain MessagePack (no msgpackr records) so other languages can read segments; bigint round-trips.
const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'bigint', moreTypes: false });

export const pack = (value: unknown): Buffer => packr.pack(value);
export const unpack = (bytes: Uint8Array): unknown => packr.unpack(bytes);

const MAX_DEPTH = 100;

/**
 * Throws {@link UnserializableData} for values MessagePack would not give back as they were:
 * functions, symbols, class instances other than Date and byte arrays, cycles, excessive depth.
 */
export function assertSerializable(value: unknown, path = 'data'): void {
  check(value, path, 0, []);
}

function check(value: unknown, path: string, depth: number, stack: object[]): void {
  switch (typeof value) {
    case 'string':
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
    for (const key in obj) check((obj as Record<string, unknown>)[key], `${path}.${key}`, depth + 1, stack);
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
}

export function encodeBatchMarker(
  kind: typeof FrameKind.BatchBegin | typeof FrameKind.BatchCommit,
  count: number,
): Buffer {
  return packr.pack([kind, count]);
}

/** A decoded frame body. */
export type FrameBody =
  | { kind: typeof FrameKind.Event; event: EventRecord }
  | { kind: typeof FrameKind.BatchBegin | typeof FrameKind.BatchCommit; count: number };

/** Decodes a frame body, or returns a reason string when it is not a well-formed frame. */
export function decodeFrameBody(bytes: Uint8Array): FrameBody | string {
  let a: unknown;
  try {
    a = packr.unpack(bytes);
  } catch (err) {
    return `undecodable MessagePack: ${(err as Error).message}`;
  }
  if (!Array.isArray(a)) return 'frame body is not an array';
  const kind = a[0];
  if (kind === FrameKind.BatchBegin || kind === FrameKind.BatchCommit) {
    return typeof a[1] === 'number' ? { kind, count: a[1] } : 'batch marker without a count';
  }
  if (kind !== FrameKind.Event || a.length !== 17) return `unknown frame kind ${String(kind)}`;
  const event: EventRecord = {
    id: a[1],
    entity: a[2],
    scope: a[3],
    type: a[4],
    streamVersion: a[5],
    position: a[6],
    timestamp: a[7],
    correlation: a[8],
    causation: a[9],
    payloadVersion: a[10],
    metadata: a[11],
    data: a[12],
    prevHash: a[13],
    hash: a[14],
    idemKey: a[15],
    idemDigest: a[16],
  };
  return isWellFormed(event) ? { kind, event } : 'event frame has fields of the wrong type';
}

const isBytes = (v: unknown, n?: number): boolean =>
  v instanceof Uint8Array && (n === undefined || v.length === n);
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

function isWellFormed(e: EventRecord): boolean {
  return (
    isBytes(e.id, 16) &&
    typeof e.entity === 'string' &&
    typeof e.scope === 'string' &&
    typeof e.type === 'string' &&
    isCount(e.streamVersion) &&
    isCount(e.position) &&
    isCount(e.timestamp) &&
    isBytes(e.correlation, 16) &&
    (e.causation === null || isBytes(e.causation, 16)) &&
    isCount(e.payloadVersion) &&
    (e.metadata === null || isBytes(e.metadata)) &&
    isBytes(e.data) &&
    isBytes(e.prevHash, 32) &&
    isBytes(e.hash, 32) &&
    (e.idemKey === null || typeof e.idemKey === 'string') &&
    (e.idemDigest === null || isBytes(e.idemDigest, 16))
  );
}

const EMPTY = Buffer.alloc(0);

/** What an idempotency key remembers: a digest of the event it was used for. */
export function idempotencyDigest(
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
