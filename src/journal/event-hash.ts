import { writeF64LE, writeU16LE, writeU32LE, writeUtf8 } from './bytes.js';
import type { EventRecord } from './codec.js';
import { blake3Of } from './hash.js';

const TAG = Buffer.from('causeway-event-v1');
const FIXED_BYTES = TAG.length + 16 + 3 * 2 + 3 * 8 + 16 + 1 + 16 + 3 * 4 + 32;

// One scratch buffer for the hash input: hashing is synchronous, so it is never shared mid-use.
let scratch = Buffer.allocUnsafeSlow(64 << 10);

/**
 * The event hash: BLAKE3 over the canonical header (every identifying field, strings length-prefixed
 * so no two headers share an encoding), then the metadata and payload bytes, then the previous hash,
 * then (only when present, so events without them hash as before) the length and bytes of the
 * canonical receipt extensions.
 */
export function computeEventHash(r: Omit<EventRecord, 'hash' | 'idemKey' | 'idemDigest'>): Buffer {
  const meta = r.metadata;
  const needed =
    FIXED_BYTES +
    3 * (r.entity.length + r.scope.length + r.type.length) +
    (meta?.length ?? 0) +
    r.data.length +
    4 +
    (r.extensions?.length ?? 0);
  if (needed > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(needed, scratch.length * 2));
  const h = scratch;
  h.set(TAG, 0);
  let o = TAG.length;
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
  if (r.extensions) {
    o = writeU32LE(h, o, r.extensions.length);
    h.set(r.extensions, o);
    o += r.extensions.length;
  }
  return blake3Of(h.subarray(0, o));
}

function lengthPrefixed(h: Buffer, o: number, s: string): number {
  const n = writeUtf8(h, o + 2, s);
  writeU16LE(h, o, n);
  return o + 2 + n;
}
