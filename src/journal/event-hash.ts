import type { EventRecord } from './codec.js';
import { blake3Of } from './hash.js';

const TAG = Buffer.from('causeway-event-v1');
const FIXED_BYTES = TAG.length + 16 + 3 * 2 + 3 * 8 + 16 + 1 + 16 + 3 * 4 + 32;

// One scratch buffer for the hash input: hashing is synchronous, so it is never shared mid-use.
let scratch = Buffer.allocUnsafeSlow(64 << 10);

/**
 * The event hash: BLAKE3 over the canonical header (every identifying field, strings length-prefixed
 * so no two headers share an encoding), then the metadata and payload bytes, then the previous hash.
 */
export function computeEventHash(r: Omit<EventRecord, 'hash' | 'idemKey' | 'idemDigest'>): Buffer {
  const meta = r.metadata;
  const needed =
    FIXED_BYTES +
    3 * (r.entity.length + r.scope.length + r.type.length) +
    (meta?.length ?? 0) +
    r.data.length;
  if (needed > scratch.length) scratch = Buffer.allocUnsafeSlow(Math.max(needed, scratch.length * 2));
  const h = scratch;
  let o = TAG.copy(h, 0);
  o += r.id.copy(h, o);
  for (const s of [r.entity, r.scope, r.type]) {
    const n = h.write(s, o + 2, 'utf8');
    h.writeUInt16LE(n, o);
    o += 2 + n;
  }
  o = h.writeDoubleLE(r.streamVersion, o);
  o = h.writeDoubleLE(r.position, o);
  o = h.writeDoubleLE(r.timestamp, o);
  o += r.correlation.copy(h, o);
  o = h.writeUInt8(r.causation ? 1 : 0, o);
  if (r.causation) o += r.causation.copy(h, o);
  else {
    h.fill(0, o, o + 16);
    o += 16;
  }
  o = h.writeUInt32LE(r.payloadVersion, o);
  // 0 = no metadata, n + 1 = n bytes of metadata.
  o = h.writeUInt32LE(meta ? meta.length + 1 : 0, o);
  o = h.writeUInt32LE(r.data.length, o);
  if (meta) o += meta.copy(h, o);
  o += r.data.copy(h, o);
  o += r.prevHash.copy(h, o);
  return blake3Of(h.subarray(0, o));
}
