import { InvalidCoordinate } from '../errors.js';
import { isPlainText } from '../validation.js';
import type { Coordinate } from './types.js';

const MAX_ENTITY_BYTES = 512;
const MAX_SCOPE_BYTES = 128;
// Printable, no whitespace: coordinates are used as keys, file-safe labels and CLI arguments.
const PART = /^[\x21-\x7e\u00a0-\uffff]+$/;
function checkPart(what: 'entity' | 'scope', value: unknown, maxBytes: number): string {
  if (typeof value !== 'string') throw new InvalidCoordinate(`${what} must be a string`, { [what]: value });
  if (value.length === 0) throw new InvalidCoordinate(`${what} must not be empty`, { [what]: value });
  if (Buffer.byteLength(value) > maxBytes) {
    throw new InvalidCoordinate(`${what} is longer than ${maxBytes} bytes`, { [what]: value });
  }
  if (!PART.test(value) || !isPlainText(value)) {
    throw new InvalidCoordinate(`${what} must be printable text with no whitespace`, { [what]: value });
  }
  return value;
}

/** Longest event type, in UTF-8 bytes. */
export const MAX_TYPE_BYTES = 256;

/** An event type: non-empty plain text (no control characters) of at most 256 UTF-8 bytes. */
export const isEventType = (type: unknown): type is string =>
  typeof type === 'string' &&
  type.length > 0 &&
  Buffer.byteLength(type) <= MAX_TYPE_BYTES &&
  isPlainText(type);

/** Validates an entity: printable, no whitespace, no empty `:`-separated part. */
export function validateEntity(entity: unknown): string {
  const value = checkPart('entity', entity, MAX_ENTITY_BYTES);
  if (value.startsWith(':') || value.endsWith(':') || value.includes('::')) {
    throw new InvalidCoordinate('entity must not have an empty `:` part', { entity: value });
  }
  return value;
}

/** Validates a scope. */
export function validateScope(scope: unknown): string {
  return checkPart('scope', scope, MAX_SCOPE_BYTES);
}

// Coordinates built by `coordinate()` are frozen after validation, so appends can skip re-checking them.
const validated = new WeakSet<Coordinate>();

/** Builds a validated, frozen coordinate; appends with it skip validation. */
export function coordinate(entity: string, scope: string): Coordinate {
  const c = Object.freeze({ entity: validateEntity(entity), scope: validateScope(scope) });
  validated.add(c);
  return c;
}

/** Validates a caller-supplied coordinate object. */
export function validateCoordinate(value: unknown): Coordinate {
  if (validated.has(value as Coordinate)) return value as Coordinate;
  if (value === null || typeof value !== 'object') {
    throw new InvalidCoordinate('coordinate must be an object { entity, scope }', { coordinate: value });
  }
  const { entity, scope } = value as Coordinate;
  validateEntity(entity);
  validateScope(scope);
  return value as Coordinate;
}

/** True when `entity` equals `prefix` or continues it after a `:`. */
export function entityHasPrefix(entity: string, prefix: string): boolean {
  return (
    entity === prefix ||
    (entity.length > prefix.length && entity.startsWith(prefix) && entity[prefix.length] === ':')
  );
}

/** The proper `:` prefixes of an entity: `a:b:c` has `a` and `a:b`. */
export function properPrefixes(entity: string): string[] {
  const out: string[] = [];
  let i = entity.indexOf(':');
  while (i !== -1) {
    out.push(entity.slice(0, i));
    i = entity.indexOf(':', i + 1);
  }
  return out;
}
