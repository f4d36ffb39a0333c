import { InvalidArgument } from '../errors.js';
import type { Logger } from '../logger.js';
import { MAX_TIMER_MS } from '../validation.js';

type Kind = 'string' | 'boolean' | 'object' | 'timer' | 'strings';

const fits: Record<Kind, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string' && v.length > 0,
  boolean: (v) => typeof v === 'boolean',
  object: (v) => v !== null && typeof v === 'object',
  timer: (v) => Number.isSafeInteger(v) && (v as number) > 0 && (v as number) <= MAX_TIMER_MS,
  strings: (v) =>
    (typeof v === 'string' && v.length > 0) ||
    (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string' && s.length > 0)),
};

const DESCRIBED: Record<Kind, string> = {
  string: 'a non-empty string',
  boolean: 'true or false',
  object: 'an object',
  timer: `a whole number of milliseconds from 1 to ${MAX_TIMER_MS}`,
  strings: 'a non-empty string or strings',
};

/** Checks the kind of each option given (undefined ones are left to their defaults). */
export function checkKinds(options: object, kinds: Record<string, Kind>, what: string): void {
  for (const [key, kind] of Object.entries(kinds)) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined && !fits[kind](value))
      throw new InvalidArgument(`${what} ${key} must be ${DESCRIBED[kind]}`, {
        [key]: typeof value === 'object' ? String(value) : value,
      });
  }
  const logger = (options as { logger?: unknown }).logger;
  if (logger !== undefined && !isLogger(logger))
    throw new InvalidArgument(`${what} logger must have debug, info, warn and error methods`);
}

const isLogger = (l: unknown): l is Logger =>
  l !== null &&
  typeof l === 'object' &&
  ['debug', 'info', 'warn', 'error'].every((m) => typeof (l as Record<string, unknown>)[m] === 'function');
