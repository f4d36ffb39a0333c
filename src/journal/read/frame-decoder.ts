import { decodeExtensions } from '../../gates/extensions.js';
import { FrameKind, unpack } from '../codec.js';
import type { StoredEvent } from '../types.js';

/**
 * Buffer's own slicers, present on every Node Buffer: they skip `toString`'s argument handling,
 * which costs about as much as slicing a short string.
 */
type Bytes = Buffer & {
  latin1Slice(start: number, end: number): string;
  hexSlice(start: number, end: number): string;
};

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

/** A big-endian double, without `readDoubleBE`'s bounds checks (callers have made them). */
function readF64BE(buf: Uint8Array, offset: number): number {
  for (let i = 0; i < 8; i++) f64Bytes[7 - i] = buf[offset + i];
  return f64[0];
}

/**
 * Decodes event frame bodies of the fixed shape `encodeEventFrame` writes straight into
 * {@link StoredEvent}s: ids and hashes become strings from the frame bytes, and entity, scope and
 * type reuse the index's strings when the bytes match, so reading allocates little beside the
 * event itself. Anything unexpected makes it answer undefined, leaving the frame to the generic
 * msgpackr decoder, which knows every encoding and says what is wrong.
 */

const NIL = 0xc0;
const BIN8 = 0xc4;

// Read position in the frame being decoded; a module variable spares returning (value, end) pairs.
let at = 0;
let end = 0;

/** The hints are the index's names for the slot (undefined when unknown). */
export function decodeStoredEvent(
  frame: Buffer,
  start: number,
  stop: number,
  entityHint: string | undefined,
  scopeHint: string | undefined,
  typeHint: string | undefined,
): StoredEvent | undefined {
  const buf = frame as Bytes;
  // array16 of 17 or 18 fields (layout 1) or 19 (layout 2), the first the kind as a fixint
  const fields = buf[start + 2];
  if (stop - start < 4 || buf[start] !== 0xdc || buf[start + 1] !== 0 || fields < 17 || fields > 19) return;
  if (buf[start + 3] !== FrameKind.Event) return;
  at = start + 4;
  end = stop;
  const id = uuid(buf);
  const entity = str(buf, entityHint);
  const scope = str(buf, scopeHint);
  const type = str(buf, typeHint);
  const streamVersion = count(buf);
  const position = count(buf);
  const timestamp = count(buf);
  const correlationId = uuid(buf);
  const causationId = nil(buf) ? null : uuid(buf);
  const payloadVersion = count(buf);
  const metadataStart = nil(buf) ? -1 : bin(buf);
  const metadataEnd = at;
  const dataStart = bin(buf);
  const dataEnd = at;
  const prevHash = hash(buf);
  const hashHex = hash(buf);
  // The idempotency key and digest are not part of the public event, only checked for shape.
  if (!nil(buf)) strBytes(buf);
  if (!nil(buf)) fixedBin(buf, 16);
  const extensionsStart = fields === 18 || (fields === 19 && !nil(buf)) ? bin(buf) : -1;
  const extensionsEnd = at;
  if (fields === 19 && count(buf) !== 2) return;
  // Every reader above leaves `at` past `end` on bytes of another shape.
  if (at !== end) return;
  return {
    id: id as string,
    type: type as string,
    data: unpack(buf.subarray(dataStart, dataEnd)),
    metadata:
      metadataStart < 0
        ? undefined
        : (unpack(buf.subarray(metadataStart, metadataEnd)) as Record<string, unknown>),
    entity: entity as string,
    scope: scope as string,
    streamVersion,
    position,
    timestamp,
    correlationId: correlationId as string,
    causationId: causationId as string | null,
    payloadVersion,
    prevHash: prevHash as string,
    hash: hashHex as string,
    extensions:
      extensionsStart < 0 ? undefined : decodeExtensions(buf.subarray(extensionsStart, extensionsEnd)),
  };
}

/** Parks the read position past the end, which every reader treats as failure. */
function fail(): undefined {
  at = end + 1;
  return undefined;
}

function nil(buf: Bytes): boolean {
  if (buf[at] !== NIL || at >= end) return false;
  at++;
  return true;
}

/** Non-negative integers in the encodings `encodeEventFrame` uses; fails on any other. */
function count(buf: Bytes): number {
  if (at >= end) return fail() ?? 0;
  const t = buf[at++];
  if (t < 0x80) return t;
  if (t === 0xcc) return uintBE(buf, 1);
  if (t === 0xcd) return uintBE(buf, 2);
  if (t === 0xce) return uintBE(buf, 4);
  if (t === 0xcb && at + 8 <= end) {
    const n = readF64BE(buf, at);
    at += 8;
    if (Number.isSafeInteger(n) && n >= 0) return n;
  }
  return fail() ?? 0;
}

/** Big-endian unsigned integer of `n` bytes (1, 2 or 4). */
function uintBE(buf: Bytes, n: number): number {
  if (at + n > end) return fail() ?? 0;
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + buf[at + i];
  at += n;
  return v;
}

/** Skips `n` bytes and answers where they start. */
function skip(n: number): number {
  const start = at;
  if (start + n > end) return fail() ?? 0;
  at = start + n;
  return start;
}

/** Skips a bin and answers where its bytes start. */
function bin(buf: Bytes): number {
  const t = buf[at++];
  if (t === BIN8) return skip(uintBE(buf, 1));
  if (t === 0xc5) return skip(uintBE(buf, 2));
  if (t === 0xc6) return skip(uintBE(buf, 4));
  return fail() ?? 0;
}

/** Skips a bin of exactly `n` bytes (ids, hashes) and answers where its bytes start. */
function fixedBin(buf: Bytes, n: number): number {
  if (buf[at] !== BIN8 || buf[at + 1] !== n) return fail() ?? 0;
  at += 2;
  return skip(n);
}

/** Skips a string and answers where its bytes start. */
function strBytes(buf: Bytes): number {
  const t = buf[at++];
  if (t >= 0xa0 && t < 0xc0) return skip(t - 0xa0);
  if (t === 0xd9) return skip(uintBE(buf, 1));
  if (t === 0xda) return skip(uintBE(buf, 2));
  if (t === 0xdb) return skip(uintBE(buf, 4));
  return fail() ?? 0;
}

/** A string, `hint` itself when the bytes spell it (the common case: no decoding, no new string). */
function str(buf: Bytes, hint: string | undefined): string | undefined {
  const start = strBytes(buf);
  if (at > end) return undefined;
  if (hint !== undefined && spells(buf, start, at, hint)) return hint;
  return buf.toString('utf8', start, at);
}

/** Whether bytes [start, stop) are the ASCII string `s`. */
function spells(buf: Bytes, start: number, stop: number, s: string): boolean {
  if (s.length !== stop - start) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || c !== buf[start + i]) return false;
  }
  return true;
}

// Hex digit pairs of each byte as two latin1 chars in one u16 (low byte first).
const HEX_PAIRS = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  const s = i.toString(16).padStart(2, '0');
  HEX_PAIRS[i] = s.charCodeAt(0) | (s.charCodeAt(1) << 8);
}
// Where each of the 16 bytes goes in the 8-4-4-4-12 form.
const UUID_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const uuidChars = <Bytes>Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');

/** A bin of 16 bytes as a UUID string, built in a scratch buffer and sliced out as one flat string. */
function uuid(buf: Bytes): string | undefined {
  const s = fixedBin(buf, 16);
  if (at > end) return undefined;
  for (let i = 0; i < 16; i++) {
    const pair = HEX_PAIRS[buf[s + i]];
    const o = UUID_AT[i];
    uuidChars[o] = pair;
    uuidChars[o + 1] = pair >> 8;
  }
  return uuidChars.latin1Slice(0, 36);
}

/** A bin of 32 bytes as hex. */
function hash(buf: Bytes): string | undefined {
  const s = fixedBin(buf, 32);
  return at > end ? undefined : buf.hexSlice(s, s + 32);
}
