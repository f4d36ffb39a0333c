import { InvalidArgument } from '../errors.js';
import { isPlainText } from '../validation.js';
import type { BypassReason } from './types.js';

const MAX_NAME = 128;
const MAX_TEXT = 1024;

/** Checks a bypass reason and returns a copy holding only its known fields. */
export function validateBypass(reason: unknown): BypassReason {
  if (reason === null || typeof reason !== 'object')
    throw new InvalidArgument('a bypass needs { name, justification, approvedBy? }');
  const { name, justification, approvedBy } = reason as Record<string, unknown>;
  text(name, 'bypass name', MAX_NAME);
  text(justification, 'bypass justification', MAX_TEXT);
  if (approvedBy === undefined) return { name: name as string, justification: justification as string };
  text(approvedBy, 'bypass approvedBy', MAX_NAME);
  return { name: name as string, justification: justification as string, approvedBy: approvedBy as string };
}

function text(value: unknown, what: string, max: number): void {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > max || !isPlainText(value))
    throw new InvalidArgument(`${what} must be non-empty plain text of at most ${max} characters`, {
      [what]: value,
    });
}
