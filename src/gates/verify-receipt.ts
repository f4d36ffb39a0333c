import { InvalidArgument } from '../errors.js';
import { encodeExtensions } from './extensions.js';
import { ReceiptKeyring } from './keys.js';
import type {
  ReceiptInvalidReason,
  ReceiptKeyInput,
  ReceiptSubject,
  ReceiptVerification,
  SignableReceipt,
} from './types.js';

const COMPARED = ['id', 'position', 'entity', 'scope', 'type', 'streamVersion', 'prevHash', 'hash'] as const;

/**
 * Checks a receipt against the event it names and, when signed, its signature with `keyring`.
 * `event` is undefined when no event has the receipt's id. The caller vouches that the event
 * itself is intact (the journal re-hashes it first).
 */
export function checkReceipt(
  receipt: SignableReceipt,
  event: ReceiptSubject | undefined,
  keyring: ReceiptKeyring | null,
): ReceiptVerification {
  if (receipt === null || typeof receipt !== 'object')
    throw new InvalidArgument('verify a receipt object as append returned it');
  if (!event) return invalid('missing-event', `no event ${String(receipt.id)}`);
  for (const field of COMPARED) {
    if (receipt[field] !== event[field])
      return invalid('field-mismatch', `receipt ${field} differs from the stored event`, field);
  }
  if (!sameExtensions(receipt, event))
    return invalid('field-mismatch', 'receipt extensions differ from the stored event', 'extensions');
  const signature = receipt.signature;
  if (signature === undefined) return { status: 'unsigned' };
  if (signature === null || typeof signature !== 'object' || typeof signature.keyId !== 'string')
    return invalid('bad-signature', 'the signature is malformed');
  if (!keyring) return invalid('unknown-key', `no keys are configured to verify key ${signature.keyId}`);
  const outcome = keyring.verifyReceipt(receipt, signature);
  if (outcome === 'unknown-key') return invalid('unknown-key', `key ${signature.keyId} is not configured`);
  if (outcome === 'bad-signature')
    return invalid('bad-signature', 'the signature does not match the receipt');
  return { status: 'signed', keyId: signature.keyId };
}

/**
 * Verifies a receipt without a journal: against the event it names (as read from the journal or an
 * export) and the public key(s) of the journal that signed it. For auditors. It proves the journal
 * signed this receipt and that the event's recorded fields (id, position, coordinate, type,
 * version, hashes, extensions) match it; it does not re-hash the event's payload, which only the
 * journal can (`journal.verifyReceipt`, `causeway verify`).
 */
export function verifyReceiptStandalone(
  receipt: SignableReceipt,
  event: ReceiptSubject | undefined,
  publicKeys: ReceiptKeyInput | readonly ReceiptKeyInput[],
): ReceiptVerification {
  const keys = Array.isArray(publicKeys) ? publicKeys : [publicKeys as ReceiptKeyInput];
  return checkReceipt(receipt, event, new ReceiptKeyring(keys));
}

/** A verification failure. */
export const invalid = (
  reason: ReceiptInvalidReason,
  message: string,
  field?: string,
): ReceiptVerification =>
  field === undefined
    ? { status: 'invalid', reason, message }
    : { status: 'invalid', reason, field, message };

function sameExtensions(a: ReceiptSubject, b: ReceiptSubject): boolean {
  try {
    const x = encodeExtensions(a.extensions);
    const y = encodeExtensions(b.extensions);
    return x === null || y === null ? x === y : x.equals(y);
  } catch {
    return false;
  }
}
