import { GateDenied, GuardRequired, InvalidArgument } from '../../errors.js';
import { validateBypass } from '../../gates/bypass.js';
import { decodeExtensions, encodeExtensions, validateExtensions } from '../../gates/extensions.js';
import { GateSet } from '../../gates/gate-set.js';
import type { BypassReason, ReceiptExtensions } from '../../gates/types.js';
import type { AppendOptions, Coordinate } from '../types.js';

/**
 * What the journal itself vouches for on an append that did not bring its own gates: the gates of a
 * redeemed guard receipt, or the mark of a denial record. Its keys are in the reserved `causeway.`
 * namespace.
 */
export type Grant = ReceiptExtensions;

/** Extensions to store with an event: their value (for the receipt) and canonical bytes. */
export interface GuardedExtensions {
  readonly value: ReceiptExtensions;
  readonly bytes: Buffer;
}

/** An append's guard options, checked (before its idempotency key is looked up, so a retry with bad options fails too). */
export interface CheckedGuard {
  readonly own: ReceiptExtensions | undefined;
  readonly bypass: BypassReason | undefined;
}

/** Checks extensions, gates and bypass of an append without running anything. */
export function checkGuardOptions(o: AppendOptions, grant: Grant | undefined): CheckedGuard {
  const own = o.extensions === undefined ? undefined : validateExtensions(o.extensions);
  if (o.gates !== undefined && o.bypass !== undefined)
    throw new InvalidArgument('an append has either gates or a bypass reason, not both');
  if (grant !== undefined && (o.gates !== undefined || o.bypass !== undefined))
    throw new InvalidArgument('a guard receipt was already evaluated: do not pass gates or bypass again');
  if (o.gates !== undefined && !(o.gates instanceof GateSet))
    throw new InvalidArgument('gates must be a GateSet (see gateSet())');
  return { own, bypass: o.bypass === undefined ? undefined : validateBypass(o.bypass) };
}

/**
 * Runs an append's gates (or records its bypass) and returns the extensions to store: the
 * caller's, plus `causeway.gates` or `causeway.bypass` or the grant; null when there are none.
 * Throws `GateDenied` on a denial and `GuardRequired` when the journal requires gates and the
 * append has no guard.
 */
export function guardAppend(
  coordinate: Coordinate,
  o: AppendOptions,
  { own, bypass }: CheckedGuard,
  grant: Grant | undefined,
  requireGates: boolean,
): GuardedExtensions | null {
  let recorded: ReceiptExtensions | undefined = grant;
  if (o.gates !== undefined) {
    const denial = o.gates.firstDenial(o.context);
    if (denial) throw new GateDenied(denial);
    if (own === undefined) return passedGates(o.gates);
    recorded = { 'causeway.gates': o.gates.names };
  } else if (bypass !== undefined) {
    recorded = { 'causeway.bypass': { ...bypass } };
  } else if (grant === undefined && requireGates) {
    throw new GuardRequired(coordinate.entity);
  }
  const bytes = encodeExtensions(recorded && own ? { ...own, ...recorded } : (recorded ?? own));
  // The receipt gets a copy decoded from what is stored, never the caller's objects.
  return bytes ? { value: Object.freeze(decodeExtensions(bytes)), bytes } : null;
}

// The record of a gate set's pass is the same every time: encode it once per set.
const passes = new WeakMap<GateSet<unknown>, GuardedExtensions>();

function passedGates(gates: GateSet<unknown>): GuardedExtensions {
  let passed = passes.get(gates);
  if (!passed) {
    const value = Object.freeze({ 'causeway.gates': gates.names });
    passed = { value, bytes: encodeExtensions(value) as Buffer };
    passes.set(gates, passed);
  }
  return passed;
}
