import { InvalidArgument } from '../errors.js';

// Only this module holds the token, so only `issueGuardReceipt` (called by a gate set) can construct.
const ISSUE: unique symbol = Symbol('issue guard receipt');
const spent = new WeakSet<GuardReceipt<unknown>>();

/**
 * Proof that a proposal passed a gate set: which gates ran, and when. Only a gate set's `evaluate`
 * creates one (the constructor refuses anything else), and a journal commits it once.
 */
export class GuardReceipt<P> {
  readonly #genuine = true;
  /** Names of the gates that ran and permitted, in order. */
  readonly gates: readonly string[];

  /** @internal Use `GateSet.evaluate`. */
  constructor(
    token: typeof ISSUE,
    /** What was proposed (a frozen copy). */
    readonly proposal: P,
    gates: readonly string[],
    /** When the gates were evaluated (ms since the epoch). */
    readonly evaluatedAt: number,
  ) {
    if (token !== ISSUE) throw new InvalidArgument('guard receipts come from GateSet.evaluate');
    this.gates = Object.freeze([...gates]);
    Object.freeze(this);
  }

  /** True for receipts a gate set issued (not look-alike objects). */
  static isGenuine(value: unknown): value is GuardReceipt<unknown> {
    return typeof value === 'object' && value !== null && #genuine in value;
  }

  /** True once a journal has committed this receipt's proposal. */
  get spent(): boolean {
    return spent.has(this);
  }
}

/**
 * Issues a receipt holding a frozen copy of the proposal, so what is committed is what the gates
 * passed even if the caller changes its own objects afterwards.
 * @internal
 */
export function issueGuardReceipt<P>(proposal: P, gates: readonly string[]): GuardReceipt<P> {
  let copy: P;
  try {
    copy = structuredClone(proposal);
  } catch (err) {
    throw new InvalidArgument(`a proposal must be plain data: ${(err as Error).message}`);
  }
  return new GuardReceipt(ISSUE, deepFreeze(copy), gates, Date.now());
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Checks that `receipt` is genuine and unspent, then runs `commit` and marks the receipt spent
 * only if the commit succeeded (a refused commit leaves it usable).
 * @internal
 */
export function redeemGuardReceipt<P, R>(receipt: GuardReceipt<P>, commit: (proposal: P) => R): R {
  if (!GuardReceipt.isGenuine(receipt))
    throw new InvalidArgument('not a guard receipt: obtain one from GateSet.evaluate');
  if (spent.has(receipt)) throw new InvalidArgument('this guard receipt was already committed');
  const result = commit(receipt.proposal);
  spent.add(receipt);
  return result;
}
