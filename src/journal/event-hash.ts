import { writeF64LE, writeU16LE, writeU32LE, writeUtf8 } from './bytes.js';
import type { EventRecord } from './codec.js';
import { blake3Of } from './hash.js';

const TAGS = { 1: Buffer.from('causeway-event-v1'), 2: Buffer.from('causeway-event-v2') } as const;
// Both tags are 17 bytes; layout 2 adds up to 4 + 4 + 1 + 16 bytes of markers and digest.
const FIXED_BYTES = 17 + 16 + 3 * 2 + 3 * 8 + 16 + 1 + 16 + 3 * 4 + 32 + 25;

// One scratch buffer for the hash input: hashing is synchronous, so it is never shared mid-use.
let scratch = Buffer.allocUnsafeSlow(64 << 10);

/**
 * The event hash: BLAKE3 over a tag naming the layout, the canonical header (every identifying
 * field, strings length-prefixed so no two headers share an encoding), the metadata and payload
 * bytes and the previous hash; then
 * - layout 1: the length and bytes of the canonical receipt extensions, only when there are any;
 * - layout 2: the extensions, the idempotency key and its digest, each with a presence marker, so
 *   every stored field that changes what the journal answers is covered.
 */
export function computeEventHash(r: Omit<EventRecord, 'hash'>): Buffer {
  const meta = r.metadata;
  const needed =
    FIXED_BYTES +
    3 * (r.entity.length + r.scope.length + r.type.length + (r.idemKey?.length ?? 0)) +
    (meta?.length ?? 0) +
    r.data.length +
    (r.extensions?.length ?? 0);
  if (needed > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(needed, scratch.length * 2));
  const h = scratch;
  const tag = TAGS[r.layout];
  h.set(tag, 0);
  let o = tag.length;
  h.set(r.id, o);
  o += 16;
  o = lengthPrefixed(h, o, r.entity);
  o = lengthPrefixed(h, o, r.scope);
  o = lengthPrefixed(h, o, r.type);
  o = writeF64LE(h, o, r.streamVersion);
  o = writeF64LE(h, o, r.position);
  o = writeF64LE(h, o, r.timestamp);
  h.set(r.correlation, o);
  o += 16;
  h[o++] = r.causation ? 1 : 0;
  if (r.causation) h.set(r.causation, o);
  else h.fill(0, o, o + 16);
  o += 16;
  o = writeU32LE(h, o, r.payloadVersion);
  // 0 = no metadata, n + 1 = n bytes of metadata.
  o = writeU32LE(h, o, meta ? meta.length + 1 : 0);
  o = writeU32LE(h, o, r.data.length);
  if (meta) {
    h.set(meta, o);
    o += meta.length;
  }
  h.set(r.data, o);
  o += r.data.length;
  h.set(r.prevHash, o);
  o += 32;
  if (r.layout === 1) {
    if (r.extensions) o = lengthAndBytes(h, o, r.extensions);
    return blake3Of(h.subarray(0, o));
  }
  // 0 = absent, n + 1 = n bytes follow.
  o = writeU32LE(h, o, r.extensions ? r.extensions.length + 1 : 0);
  if (r.extensions) o = bytes(h, o, r.extensions);
  if (r.idemKey === null) o = writeU32LE(h, o, 0);
  else {
    const n = writeUtf8(h, o + 4, r.idemKey);
    writeU32LE(h, o, n + 1);
    o += 4 + n;
  }
  h[o++] = r.idemDigest ? 1 : 0;
  if (r.idemDigest) o = bytes(h, o, r.idemDigest);
  return blake3Of(h.subarray(0, o));
}

function lengthAndBytes(h: Buffer, o: number, b: Uint8Array): number {
  return bytes(h, writeU32LE(h, o, b.length), b);
}

function bytes(h: Buffer, o: number, b: Uint8Array): number {
  h.set(b, o);
  return o + b.length;
}

function lengthPrefixed(h: Buffer, o: number, s: string): number {
  const n = writeUtf8(h, o + 2, s);
  writeU16LE(h, o, n);
  return o + 2 + n;
}
