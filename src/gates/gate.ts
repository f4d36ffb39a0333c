import { InvalidArgument } from '../errors.js';
import { isPlainText, keys, refuseUnknownKeys } from '../validation.js';
import type { Denial, Gate, GateDecision } from './types.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Validates a gate or denial-code name: 1–128 letters, digits, `.`, `_`, `:` or `-`. */
export function validateGateName(name: unknown, what = 'gate name'): string {
  if (typeof name !== 'string' || !NAME.test(name))
    throw new InvalidArgument(`${what} must be 1-128 letters, digits, '.', '_', ':' or '-'`, { name });
  return name;
}

const MAX_CODE = 128;
const MAX_MESSAGE = 1024;
const DENIAL_FIELDS = keys('gate', 'code', 'message', 'context');

/** True for a denial code (plain text of 1-128 characters) and message (plain text of at most 1024). */
export const isDenialCode = (code: unknown): code is string =>
  typeof code === 'string' && code.length > 0 && code.length <= MAX_CODE && isPlainText(code);
export const isDenialMessage = (message: unknown): message is string =>
  typeof message === 'string' && message.length <= MAX_MESSAGE && isPlainText(message);

/** Checks a denial as something outside a gate set hands it in (to be recorded, say). */
export function validateDenial(denial: unknown): Denial {
  if (denial === null || typeof denial !== 'object')
    throw new InvalidArgument('a denial is an object { gate, code, message, context }');
  refuseUnknownKeys(denial, DENIAL_FIELDS, 'denial field');
  const { gate, code, message, context } = denial as Denial;
  validateGateName(gate, 'denial gate');
  if (!isDenialCode(code))
    throw new InvalidArgument(`denial code must be plain text of 1-${MAX_CODE} characters`, { code });
  if (!isDenialMessage(message))
    throw new InvalidArgument(`denial message must be plain text of at most ${MAX_MESSAGE} characters`, {
      message,
    });
  if (context !== undefined && (context === null || typeof context !== 'object' || Array.isArray(context)))
    throw new InvalidArgument('denial context must be an object', { context });
  return { gate, code, message, context: context ?? {} };
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
