/**
 * Public types of gates and receipts, gathered in one place. Gates know nothing of the journal: they
 * judge a caller-supplied context; the journal runs them before it commits and signs what it commits.
 */
import type { KeyObject } from 'node:crypto';
import type { GuardReceipt } from './guard-receipt.js';

/** A permit or a denial, as a gate's check returns it (build them with `permit()` and `deny()`). */
export type GateDecision =
  | { readonly permitted: true }
  | {
      readonly permitted: false;
      readonly code: string;
      readonly message: string;
      readonly context?: Readonly<Record<string, unknown>>;
    };

/**
 * A named, pure, synchronous check over a caller-supplied context. It must not have side effects:
 * a gate set may run it again, and a denial must be explainable from the context alone.
 */
export interface Gate<C> {
  readonly name: string;
  check(context: C): GateDecision;
}

/** Why a proposal was refused: which gate, a stable code, a message and structured context. */
export interface Denial {
  readonly gate: string;
  readonly code: string;
  readonly message: string;
  readonly context: Readonly<Record<string, unknown>>;
}

/** Result of `GateSet.evaluate`: a guard receipt for the proposal, or the first denial. */
export type GateVerdict<P> =
  | { readonly permitted: true; readonly receipt: GuardReceipt<P> }
  | { readonly permitted: false; readonly denial: Denial };

/** Result of `GateSet.evaluateAll`: a guard receipt, or every denial in gate order. */
export type GateVerdictAll<P> =
  | { readonly permitted: true; readonly receipt: GuardReceipt<P> }
  | { readonly permitted: false; readonly denials: readonly Denial[] };

/** Why a commit skips gates: recorded with the event, so every bypass is auditable. */
export interface BypassReason {
  /** Short name of the bypass (`backfill-2026-11`, `incident-4711`). */
  readonly name: string;
  /** Why gates do not apply. */
  readonly justification: string;
  /** Who approved it, when someone did. */
  readonly approvedBy?: string;
}

/** A JSON value: what a receipt extension may hold. */
export type ExtensionValue =
  | null
  | boolean
  | number
  | string
  | readonly ExtensionValue[]
  | { readonly [key: string]: ExtensionValue };

/**
 * Small namespaced values attached to an append (`{ 'acme.ticket': 'T-17' }`): stored with the
 * event, covered by its hash and by the receipt's signature, and returned again on an idempotent
 * retry. Keys are `namespace.name` in lower case; the `causeway.` namespace is reserved for what the
 * journal records itself (`causeway.gates`, `causeway.bypass`).
 */
export type ReceiptExtensions = Readonly<Record<string, ExtensionValue>>;

/**
 * An Ed25519 signature over a receipt. The receipts of one batch (or of appends signed together)
 * share one signature over the root of a Merkle tree of their messages; `proof` leads from this
 * receipt to that root. A receipt signed alone has no proof.
 */
export interface ReceiptSignature {
  readonly algorithm: 'ed25519';
  /**
   * Layout of the signed receipt message (docs/receipts.md): 2 for receipts signed now; absent in
   * receipts signed before it was recorded, which used layout 1.
   */
  readonly format?: 1 | 2;
  /** Hex SHA-256 of the raw public key that verifies the signature. */
  readonly keyId: string;
  /** Base64url signature over the root. */
  readonly value: string;
  readonly proof?: ReceiptProof;
}

/** Where a receipt sits in the tree its signature covers. */
export interface ReceiptProof {
  /** Position of this receipt among those signed together. */
  readonly index: number;
  /** How many receipts were signed together. */
  readonly size: number;
  /** Hex sibling hashes from this receipt's leaf up to the root. */
  readonly path: readonly string[];
}

/**
 * The receipt fields a signature covers and verification compares. The journal's `AppendReceipt`
 * has this shape.
 */
export interface SignableReceipt {
  readonly id: string;
  readonly position: number;
  readonly entity: string;
  readonly scope: string;
  readonly type: string;
  readonly streamVersion: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly extensions?: ReceiptExtensions;
  readonly signature?: ReceiptSignature;
}

/** The fields of a stored event a receipt is checked against (the journal's `StoredEvent` has them). */
export type ReceiptSubject = Omit<SignableReceipt, 'signature'>;

/** Why a receipt did not verify. */
export type ReceiptInvalidReason =
  /** No event with the receipt's id exists. */
  | 'missing-event'
  /** The stored event no longer matches its own hash or its frame is damaged. */
  | 'event-tampered'
  /** A receipt field differs from the stored event (`field` says which). */
  | 'field-mismatch'
  /** The signature names a key that is not configured. */
  | 'unknown-key'
  /** The signature does not verify over the receipt. */
  | 'bad-signature';

/** Outcome of verifying a receipt. */
export type ReceiptVerification =
  | { readonly status: 'signed'; readonly keyId: string }
  | { readonly status: 'unsigned' }
  | {
      readonly status: 'invalid';
      readonly reason: ReceiptInvalidReason;
      /** The mismatching field, for `field-mismatch`. */
      readonly field?: string;
      readonly message: string;
    };

/**
 * An Ed25519 key as given to a journal, as a `KeyObject` or PEM text: a private key signs (and
 * verifies), a public key only verifies (a retired key whose private half is gone).
 */
export type ReceiptKeyInput = KeyObject | string;

/** A new signing key, with its PEM forms for storage. */
export interface GeneratedReceiptKey {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}
