import { crc32 } from 'node:zlib';
import { writeF64BE, writeUtf8 } from './bytes.js';
import { type EventRecord, type FrameBody, FrameKind, unpack } from './codec.js';
import { FRAME_HEADER_BYTES } from './storage/frame.js';

/**
 * Encodes an event frame (`u32 length | u32 CRC32 | body`) in one pass. The body is the same
 * MessagePack array `decodeFrameBody` reads with msgpackr; writing this fixed shape directly
 * avoids the generic encoder's per-field dispatch and a copy on the hottest path of the journal.
 *
 * The array holds kind, id, entity, scope, type, stream version, position, timestamp,
 * correlation, causation, payload version, metadata, data, previous hash, hash, idempotency key
 * and digest; then, in layout 1, the extensions only when there are any (17 or 18 fields), and in
 * layout 2 the extensions (or nil) and the layout number (19 fields).
 */
export function encodeEventFrame(r: EventRecord): Buffer {
  const strings = r.entity.length + r.scope.length + r.type.length + (r.idemKey?.length ?? 0);
  const ext = r.extensions;
  const bins = 16 + 16 + 16 + (r.metadata?.length ?? 0) + r.data.length + 32 + 32 + 16 + (ext?.length ?? 0);
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 3 + 4 * 5 + 9 * 5 + 3 * strings + 5 * 7 + bins + 10);
  let o = FRAME_HEADER_BYTES;
  buf[o++] = 0xdc; // array 16
  o = buf.writeUInt16BE(r.layout === 1 ? (ext ? 18 : 17) : 19, o);
  o = uint(buf, o, FrameKind.Event);
  o = bin(buf, o, r.id);
  o = str(buf, o, r.entity);
  o = str(buf, o, r.scope);
  o = str(buf, o, r.type);
  o = uint(buf, o, r.streamVersion);
  o = uint(buf, o, r.position);
  o = uint(buf, o, r.timestamp);
  o = bin(buf, o, r.correlation);
  o = r.causation ? bin(buf, o, r.causation) : nil(buf, o);
  o = uint(buf, o, r.payloadVersion);
  o = r.metadata ? bin(buf, o, r.metadata) : nil(buf, o);
  o = bin(buf, o, r.data);
  o = bin(buf, o, r.prevHash);
  o = bin(buf, o, r.hash);
  o = r.idemKey === null ? nil(buf, o) : str(buf, o, r.idemKey);
  o = r.idemDigest ? bin(buf, o, r.idemDigest) : nil(buf, o);
  if (r.layout === 1) {
    if (ext) o = bin(buf, o, ext);
  } else {
    o = ext ? bin(buf, o, ext) : nil(buf, o);
    o = uint(buf, o, r.layout);
  }
  const body = buf.subarray(FRAME_HEADER_BYTES, o);
  buf.writeUInt32LE(body.length, 0);
  buf.writeUInt32LE(crc32(body), 4);
  return buf.subarray(0, o);
}

function nil(buf: Buffer, o: number): number {
  buf[o] = 0xc0;
  return o + 1;
}

/** Non-negative integers as msgpackr writes them: fixint, uint8/16/32, float64 above 32 bits. */
function uint(buf: Buffer, o: number, n: number): number {
  if (n < 0x80) {
    buf[o] = n;
    return o + 1;
  }
  if (n < 0x100) {
    buf[o] = 0xcc;
    buf[o + 1] = n;
    return o + 2;
  }
  if (n < 0x10000) {
    buf[o] = 0xcd;
    return buf.writeUInt16BE(n, o + 1);
  }
  if (n < 0x1_0000_0000) {
    buf[o] = 0xce;
    return buf.writeUInt32BE(n, o + 1);
  }
  buf[o] = 0xcb;
  return writeF64BE(buf, o + 1, n);
}

/** Strings with the smallest header that fits their worst-case UTF-8 length, patched to the real length. */
function str(buf: Buffer, o: number, s: string): number {
  const max = 3 * s.length;
  if (max < 32) {
    const n = writeUtf8(buf, o + 1, s);
    buf[o] = 0xa0 | n;
    return o + 1 + n;
  }
  if (max < 0x100) {
    const n = writeUtf8(buf, o + 2, s);
    buf[o] = 0xd9;
    buf[o + 1] = n;
    return o + 2 + n;
  }
  if (max < 0x10000) {
    const n = buf.write(s, o + 3, 'utf8');
    buf[o] = 0xda;
    buf.writeUInt16BE(n, o + 1);
    return o + 3 + n;
  }
  const n = buf.write(s, o + 5, 'utf8');
  buf[o] = 0xdb;
  buf.writeUInt32BE(n, o + 1);
  return o + 5 + n;
}

function bin(buf: Buffer, o: number, b: Uint8Array): number {
  const n = b.length;
  if (n < 0x100) {
    buf[o] = 0xc4;
    buf[o + 1] = n;
    o += 2;
  } else if (n < 0x10000) {
    buf[o] = 0xc5;
    o = buf.writeUInt16BE(n, o + 1);
  } else {
    buf[o] = 0xc6;
    o = buf.writeUInt32BE(n, o + 1);
  }
  buf.set(b, o);
  return o + n;
}

/** Decodes a frame body, or returns a reason string when it is not a well-formed frame. */
export function decodeFrameBody(bytes: Uint8Array): FrameBody | string {
  let a: unknown;
  try {
    a = unpack(bytes);
  } catch (err) {
    return `undecodable MessagePack: ${(err as Error).message}`;
  }
  if (!Array.isArray(a)) return 'frame body is not an array';
  const kind = a[0];
  if (kind === FrameKind.BatchBegin || kind === FrameKind.BatchCommit) {
    return typeof a[1] === 'number' ? { kind, count: a[1] } : 'batch marker without a count';
  }
  if (kind !== FrameKind.Event) return `unknown frame kind ${String(kind)}`;
  const layout = a.length === 19 ? a[18] : a.length === 17 || a.length === 18 ? 1 : undefined;
  if (layout !== 1 && layout !== 2)
    return `unknown event layout (${a.length} fields, layout ${String(a[18])})`;
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
    extensions: a.length === 18 || a.length === 19 ? a[17] : null,
    layout,
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
    (e.idemDigest === null || isBytes(e.idemDigest, 16)) &&
    (e.extensions === null || isBytes(e.extensions))
  );
}
