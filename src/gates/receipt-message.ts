import { encodeExtensions } from './extensions.js';
import type { ReceiptSubject } from './types.js';

/**
 * The bytes a receipt signature covers: a version tag, the signing key's id, then the event id,
 * global position, coordinate, type, stream version, previous hash, hash and canonical extensions. Free-form strings
 * are length-prefixed and the fixed-format ones (hex, UUID, integers) cannot hold a newline, so no
 * two receipts share an encoding.
 */
export function receiptMessage(r: ReceiptSubject, keyId: string): Buffer {
  const ext = encodeExtensions(r.extensions);
  const head =
    `causeway-receipt-v1\n${keyId}\n${r.id}\n${r.position}\n` +
    `${lp(r.entity)}\n${lp(r.scope)}\n${lp(r.type)}\n${r.streamVersion}\n${r.prevHash}\n${r.hash}\n`;
  return ext ? Buffer.concat([Buffer.from(head), ext]) : Buffer.from(head);
}

const lp = (s: string): string => `${s.length}:${s}`;
