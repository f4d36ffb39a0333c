import { GateDenied, GuardRequired, InvalidArgument } from '../../errors.js';
import { validateBypass } from '../../gates/bypass.js';
import { encodeExtensions, validateExtensions } from '../../gates/extensions.js';
import { GateSet } from '../../gates/gate-set.js';
import type { ReceiptExtensions } from '../../gates/types.js';
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

/**
 * Runs an append's gates (or records its bypass) and returns the extensions to store: the
 * caller's, plus `causeway.gates` or `causeway.bypass` or the grant; null when there are none.
 * Throws `GateDenied` on a denial and `GuardRequired` when the journal requires gates and the
 * append has no guard.
 */
export function guardAppend(
  coordinate: Coordinate,
  o: AppendOptions,
  grant: Grant | undefined,
  requireGates: boolean,
): GuardedExtensions | null {
  const own = o.extensions === undefined ? undefined : validateExtensions(o.extensions);
  if (o.gates !== undefined && o.bypass !== undefined)
    throw new InvalidArgument('an append has either gates or a bypass reason, not both');
  if (grant !== undefined && (o.gates !== undefined || o.bypass !== undefined))
    throw new InvalidArgument('a guard receipt was already evaluated: do not pass gates or bypass again');
  let recorded: ReceiptExtensions | undefined = grant;
  if (o.gates !== undefined) {
    if (!(o.gates instanceof GateSet)) throw new InvalidArgument('gates must be a GateSet (see gateSet())');
    const denial = o.gates.firstDenial(o.context);
    if (denial) throw new GateDenied(denial);
    if (own === undefined) return passedGates(o.gates);
    recorded = { 'causeway.gates': o.gates.names };
  } else if (o.bypass !== undefined) {
    recorded = { 'causeway.bypass': { ...validateBypass(o.bypass) } };
  } else if (grant === undefined && requireGates) {
    throw new GuardRequired(coordinate.entity);
  }
  const value = recorded && own ? { ...own, ...recorded } : (recorded ?? own);
  const bytes = encodeExtensions(value);
  return bytes && value ? { value, bytes } : null;
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
