import { validate as isUuid, parse as parseUuid, stringify as stringifyUuid, v7 as uuidv7 } from 'uuid';
import { InvalidArgument } from '../errors.js';

/** Fresh UUIDv7 as 16 bytes. */
export function newEventId(): Buffer {
  const id = Buffer.allocUnsafe(16);
  uuidv7(undefined, id);
  return id;
}

export function idToString(id: Uint8Array): string {
  return stringifyUuid(id);
}

/** Parses a UUID string into 16 bytes, or fails with a clear error naming the field. */
export function idFromString(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || !isUuid(value)) {
    throw new InvalidArgument(`${field} must be a UUID string`, { [field]: value });
  }
  return Buffer.from(parseUuid(value));
}

/** Like {@link idFromString} but answers undefined instead of throwing. */
export function tryIdFromString(value: string): Buffer | undefined {
  return isUuid(value) ? Buffer.from(parseUuid(value)) : undefined;
}
