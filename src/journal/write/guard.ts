import { GateDenied, GuardRequired, InvalidArgument } from '../../errors.js';
import { validateBypass } from '../../gates/bypass.js';
import { encodeExtensions, validateExtensions } from '../../gates/extensions.js';
import { GateSet } from '../../gates/gate-set.js';
import type { ReceiptExtensions } from '../../gates/types.js';
import type { AppendOptions, Coordinate, NewEvent } from '../types.js';

/**
 * What the journal itself vouches for on an append that did not bring its own gates: the gates of a
 * redeemed guard receipt, or the mark of a denial record. Its keys are in the reserved `causeway.`
 * namespace.
 */
export type Grant = ReceiptExtensions;

/**
 * Runs an append's gates (or records its bypass) and returns the canonical extensions to store:
 * the caller's, plus `causeway.gates` or `causeway.bypass` or the grant. Throws `GateDenied` on a
 * denial and `GuardRequired` when the journal requires gates and the append has no guard.
 */
export function guardAppend(
  coordinate: Coordinate,
  event: NewEvent,
  o: AppendOptions,
  grant: Grant | undefined,
  requireGates: boolean,
): Buffer | null {
  const own = o.extensions === undefined ? undefined : validateExtensions(o.extensions);
  if (o.gates !== undefined && o.bypass !== undefined)
    throw new InvalidArgument('an append has either gates or a bypass reason, not both');
  if (grant !== undefined && (o.gates !== undefined || o.bypass !== undefined))
    throw new InvalidArgument('a guard receipt was already evaluated: do not pass gates or bypass again');
  let recorded: ReceiptExtensions | undefined = grant;
  if (o.gates !== undefined) {
    if (!(o.gates instanceof GateSet)) throw new InvalidArgument('gates must be a GateSet (see gateSet())');
    const verdict = o.gates.evaluate(o.context, { coordinate, event });
    if (!verdict.permitted) throw new GateDenied(verdict.denial);
    recorded = { 'causeway.gates': verdict.receipt.gates };
  } else if (o.bypass !== undefined) {
    recorded = { 'causeway.bypass': { ...validateBypass(o.bypass) } };
  } else if (grant === undefined && requireGates) {
    throw new GuardRequired(coordinate.entity);
  }
  return encodeExtensions(recorded && own ? { ...own, ...recorded } : (recorded ?? own));
}
