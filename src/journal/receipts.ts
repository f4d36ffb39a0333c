import { CausewayError } from '../errors.js';
import { decodeExtensions } from '../gates/extensions.js';
import type { ReceiptKeyring } from '../gates/keys.js';
import type {
  ReceiptExtensions,
  ReceiptSignature,
  ReceiptVerification,
  SignableReceipt,
} from '../gates/types.js';
import { checkReceipt, invalid } from '../gates/verify-receipt.js';
import type { EventRecord } from './codec.js';
import { computeEventHash } from './event-hash.js';
import { idToString } from './ids.js';
import type { AppendReceipt } from './types.js';

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** The (unsigned) receipt of a record; `extensions` spares decoding them again when known. */
export function receiptOf(
  r: EventRecord,
  deduplicated: boolean,
  extensions: ReceiptExtensions | undefined = r.extensions ? decodeExtensions(r.extensions) : undefined,
): AppendReceipt {
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
  if (extensions) receipt.extensions = extensions;
  return receipt;
}

/**
 * Signs receipts for a journal with a signing key: at once (one signature for the receipts of one
 * call), or coalesced with every other receipt queued in the same turn of the event loop, so many
 * async producers share one signature the way they share one fsync.
 */
export class ReceiptSigner {
  private queued: AppendReceipt[] = [];
  private waiting: { resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(private readonly keys: ReceiptKeyring) {}

  /** Signs `receipts` together now. */
  signNow<T extends readonly AppendReceipt[]>(receipts: T): T {
    const signatures = this.keys.signReceipts(receipts);
    if (signatures)
      for (let i = 0; i < receipts.length; i++)
        (receipts[i] as { signature?: ReceiptSignature }).signature = signatures[i];
    return receipts;
  }

  /** Signs `receipts` with everything else queued before the next microtask checkpoint. */
  signSoon(receipts: readonly AppendReceipt[]): Promise<void> {
    if (this.queued.length === 0) queueMicrotask(() => this.flush());
    this.queued.push(...receipts);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private flush(): void {
    const receipts = this.queued;
    const waiting = this.waiting;
    this.queued = [];
    this.waiting = [];
    try {
      this.signNow(receipts);
      for (const w of waiting) w.resolve();
    } catch (err) {
      for (const w of waiting) w.reject(err);
    }
  }
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
  return checkReceipt(receipt, record && receiptOf(record, false), keys);
}
