import { InvalidArgument } from '../errors.js';
import type { Gate, GateDecision } from './types.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Validates a gate or denial-code name: 1–128 letters, digits, `.`, `_`, `:` or `-`. */
export function validateGateName(name: unknown, what = 'gate name'): string {
  if (typeof name !== 'string' || !NAME.test(name))
    throw new InvalidArgument(`${what} must be 1-128 letters, digits, '.', '_', ':' or '-'`, { name });
  return name;
}

/**
 * Defines a gate: a named, pure, synchronous check over a context.
 *
 * @example
 * const inStock = gate<OrderContext>('in-stock', (ctx) =>
 *   ctx.stock >= ctx.quantity ? permit() : deny('out-of-stock', 'not enough stock', { sku: ctx.sku }));
 */
export function gate<C>(name: string, check: (context: C) => GateDecision): Gate<C> {
  validateGateName(name);
  if (typeof check !== 'function') throw new InvalidArgument('a gate needs a check function', { name });
  return Object.freeze({ name, check });
}

const PERMIT: GateDecision = Object.freeze({ permitted: true });

/** The decision of a gate that lets the proposal through. */
export const permit = (): GateDecision => PERMIT;

/** The decision of a gate that refuses, with a stable code, a message and structured context. */
export function deny(code: string, message: string, context: Record<string, unknown> = {}): GateDecision {
  return { permitted: false, code, message, context };
}
