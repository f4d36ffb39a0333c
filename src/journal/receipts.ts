import { CausewayError } from '../errors.js';
import { decodeExtensions } from '../gates/extensions.js';
import type { ReceiptKeyring } from '../gates/keys.js';
import { receiptMessage } from '../gates/receipt-message.js';
import type { ReceiptVerification, SignableReceipt } from '../gates/types.js';
import { checkReceipt, invalid } from '../gates/verify-receipt.js';
import type { EventRecord } from './codec.js';
import { computeEventHash } from './event-hash.js';
import { idToString } from './ids.js';
import type { AppendReceipt } from './types.js';

/** The receipt of a stored record, signed when the journal has a signing key. */
export function receiptOf(r: EventRecord, deduplicated: boolean, keys: ReceiptKeyring | null): AppendReceipt {
  const receipt: Writable<AppendReceipt> = {
    id: idToString(r.id),
    entity: r.entity,
    scope: r.scope,
    type: r.type,
    position: r.position,
    streamVersion: r.streamVersion,
    hash: r.hash.toString('hex'),
    prevHash: r.prevHash.toString('hex'),
    deduplicated,
  };
  if (r.extensions) receipt.extensions = decodeExtensions(r.extensions);
  const signature = keys?.sign((keyId) => receiptMessage(receipt, keyId));
  if (signature) receipt.signature = signature;
  return receipt;
}

/**
 * Verifies a receipt against the stored record it names: the record must still match its own hash
 * (a rewritten payload or header shows here), then the receipt's fields and signature are checked.
 * `read` returns the record, undefined when none has the id, or throws when its frame is damaged.
 */
export function verifyAgainstRecord(
  receipt: SignableReceipt,
  read: () => EventRecord | undefined,
  keys: ReceiptKeyring | null,
): ReceiptVerification {
  let record: EventRecord | undefined;
  try {
    record = read();
  } catch (err) {
    if (err instanceof CausewayError && err.code === 'CORRUPT_DATA')
      return invalid('event-tampered', `the stored event cannot be read: ${err.message}`);
    throw err;
  }
  if (record && !computeEventHash(record).equals(record.hash))
    return invalid('event-tampered', 'the stored event no longer matches its hash');
  return checkReceipt(receipt, record && receiptOf(record, false, null), keys);
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };
