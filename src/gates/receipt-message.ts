import { encodeExtensions } from './extensions.js';
import type { ReceiptSubject } from './types.js';

/** Layouts of the signed receipt message (docs/receipts.md). New signatures use the newest. */
export type ReceiptMessageFormat = 1 | 2;
export const CURRENT_RECEIPT_FORMAT: ReceiptMessageFormat = 2;

/**
 * The bytes that stand for a receipt under a signature: a version tag, the event id, global
 * position, coordinate, type, stream version, previous hash, hash, one per line, and the canonical
 * extensions. Free-form strings are length-prefixed (format 2: UTF-8 bytes; format 1 counted UTF-16
 * code units) and the fixed-format ones (hex, UUID, integers) cannot hold a newline, so no two
 * receipts share an encoding.
 */
export function receiptMessage(
  r: ReceiptSubject,
  format: ReceiptMessageFormat = CURRENT_RECEIPT_FORMAT,
): Buffer {
  const lp = format === 1 ? (s: string) => `${s.length}:${s}` : (s: string) => `${Buffer.byteLength(s)}:${s}`;
  const ext = encodeExtensions(r.extensions);
  const head =
    `causeway-receipt-v${format}\n${r.id}\n${r.position}\n${lp(r.entity)}\n${lp(r.scope)}\n${lp(r.type)}\n` +
    `${r.streamVersion}\n${r.prevHash}\n${r.hash}\n`;
  return ext ? Buffer.concat([Buffer.from(head), ext]) : Buffer.from(head);
}

/** The bytes a signature covers: the tree root of the receipts signed together, bound to the key. */
export const rootMessage = (keyId: string, size: number, root: Buffer): Buffer =>
  Buffer.from(`causeway-receipt-root-v1\n${keyId}\n${size}\n${root.toString('hex')}`);
