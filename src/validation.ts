/**
 * Checks shared by every layer: text that is stored as it was given, and option objects without
 * keys nobody reads.
 */
import { InvalidArgument } from './errors.js';

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * True for text UTF-8 can hold as it is: a lone surrogate would be stored as U+FFFD, so what was
 * stored would differ from what the caller gave (and from its receipt).
 */
export const isWellFormedText = (s: string): boolean =>
  (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** True for a name or label: well-formed text without control characters or line breaks. */
export const isPlainText = (s: string): boolean => isWellFormedText(s) && !CONTROL.test(s);

/** `s` made plain: control characters become spaces, lone surrogates U+FFFD. */
export const plainTextOf = (s: string): string =>
  (s as unknown as { toWellFormed(): string }).toWellFormed().replace(new RegExp(CONTROL.source, 'g'), ' ');

/**
 * Throws {@link InvalidArgument} naming the first key of `value` that is not in `known`: a
 * misspelt option would otherwise be ignored without a word.
 */
export function refuseUnknownKeys(value: object, known: ReadonlySet<string>, what: string): void {
  for (const key in value)
    if (!known.has(key))
      throw new InvalidArgument(`unknown ${what} ${JSON.stringify(key)} (known: ${[...known].join(', ')})`, {
        [what]: key,
      });
}

/** The longest delay Node's timers honour; a longer one, or Infinity, fires after 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** True for a timer delay in milliseconds that Node honours: from `min` to {@link MAX_TIMER_MS}. */
export const isTimerDelay = (ms: unknown, min = 0): boolean =>
  typeof ms === 'number' && ms >= min && ms <= MAX_TIMER_MS;

/**
 * `value` when it is a whole number from `min` to `max`; otherwise an {@link InvalidArgument}
 * naming it (after `context`, when given, as in `partitions: limit must be ...`).
 */
export function wholeNumberIn(
  value: unknown,
  name: string,
  min: number,
  max: number,
  context?: string,
): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max)
    throw new InvalidArgument(
      `${context ? `${context}: ` : ''}${name} must be a whole number from ${min} to ${max}`,
      { [name]: value },
    );
  return value as number;
}

/** A set of option names, for {@link refuseUnknownKeys}. */
export const keys = <K extends string>(...names: K[]): ReadonlySet<string> => new Set(names);

/** Checks that `options`, when given, is an object without unknown keys. */
export function checkOptions(options: unknown, known: ReadonlySet<string>, what: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object')
    throw new InvalidArgument(`${what}s must be an object`, { options });
  refuseUnknownKeys(options, known, what);
}
