import { InvalidArgument } from '../errors.js';
import { plainTextOf } from '../validation.js';
import { isDenialCode, isDenialMessage, validateGateName } from './gate.js';
import { issueGuardReceipt } from './guard-receipt.js';
import type { Denial, Gate, GateVerdict, GateVerdictAll } from './types.js';

/** Code of the denial a gate produces when its check throws or returns something that is not a decision. */
export const GATE_DEFECT = 'gate-defect';

/**
 * An ordered set of gates over one context type. `evaluate` stops at the first denial;
 * `evaluateAll` runs every gate and returns every denial. A proposal that passes becomes a
 * {@link GuardReceipt} naming the gates that ran.
 */
export class GateSet<C> {
  readonly gates: readonly Gate<C>[];
  /** Names of the gates, in evaluation order. */
  readonly names: readonly string[];

  constructor(gates: readonly Gate<C>[]) {
    // An empty set would pass everything while still recording that gates ran.
    if (!Array.isArray(gates) || gates.length === 0)
      throw new InvalidArgument('a gate set needs a non-empty array of gates');
    const names = new Set<string>();
    for (const g of gates) {
      if (g === null || typeof g !== 'object' || typeof g.check !== 'function')
        throw new InvalidArgument('gate set members must be gates ({ name, check })');
      validateGateName(g.name);
      if (names.has(g.name)) throw new InvalidArgument(`two gates are named ${g.name}`, { name: g.name });
      names.add(g.name);
    }
    this.gates = Object.freeze([...gates]);
    this.names = Object.freeze(this.gates.map((g) => g.name));
  }

  /** Runs the gates in order and stops at the first denial. */
  evaluate<P>(context: C, proposal: P): GateVerdict<P> {
    const denial = this.firstDenial(context);
    return denial
      ? { permitted: false, denial }
      : { permitted: true, receipt: issueGuardReceipt(proposal, this.names) };
  }

  /** The first denial, or undefined when every gate permits (`evaluate` without the receipt). */
  firstDenial(context: C): Denial | undefined {
    for (const g of this.gates) {
      const denial = judge(g, context);
      if (denial) return denial;
    }
    return undefined;
  }

  /** Runs every gate and returns all denials, in gate order. */
  evaluateAll<P>(context: C, proposal: P): GateVerdictAll<P> {
    const denials: Denial[] = [];
    for (const g of this.gates) {
      const denial = judge(g, context);
      if (denial) denials.push(denial);
    }
    return denials.length > 0
      ? { permitted: false, denials }
      : { permitted: true, receipt: issueGuardReceipt(proposal, this.names) };
  }
}

/** Builds a {@link GateSet}. */
export const gateSet = <C>(gates: readonly Gate<C>[]): GateSet<C> => new GateSet(gates);

/** The gate's denial, or undefined when it permits. A throwing or misbehaving gate denies as a defect. */
function judge<C>(g: Gate<C>, context: C): Denial | undefined {
  let decision: unknown;
  try {
    decision = g.check(context);
  } catch (err) {
    const message = plainTextOf(err instanceof Error ? err.message : String(err)).slice(0, 900);
    return defect(g, `gate threw: ${message}`, { error: err instanceof Error ? err.name : typeof err });
  }
  if (decision === null || typeof decision !== 'object' || !('permitted' in decision))
    return defect(g, 'gate returned something other than permit() or deny(...)', {
      returned: decision instanceof Promise ? 'a promise (gates are synchronous)' : typeof decision,
    });
  const d = decision as { permitted: unknown; code?: unknown; message?: unknown; context?: unknown };
  if (d.permitted === true) return undefined;
  if (d.permitted !== false || !isDenialCode(d.code) || !isDenialMessage(d.message))
    return defect(g, 'gate returned a malformed decision (a denial needs a plain-text code and message)', {});
  const context_ = d.context && typeof d.context === 'object' ? (d.context as Record<string, unknown>) : {};
  return { gate: g.name, code: d.code, message: d.message, context: context_ };
}

const defect = <C>(g: Gate<C>, message: string, context: Record<string, unknown>): Denial => ({
  gate: g.name,
  code: GATE_DEFECT,
  message,
  context,
});
