import { randomFillSync } from 'node:crypto';
import { validate as isUuid, parse as parseUuid, v7 as uuidv7 } from 'uuid';
import { InvalidArgument } from '../errors.js';

// Random bits for ids, drawn from the OS 64 KiB at a time rather than per few ids.
const pool = Buffer.allocUnsafeSlow(64 << 10);
let poolAt = pool.length;

/** Fresh UUIDv7 (millisecond time prefix, random rest) as 16 bytes. */
export function newEventId(): Buffer {
  if (poolAt + 16 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const id = Buffer.allocUnsafe(16);
  uuidv7({ random: pool.subarray(poolAt, poolAt + 16) }, id);
  poolAt += 16;
  return id;
}

/** The canonical 8-4-4-4-12 form (the bytes come from the journal, so no validation is needed). */
export function idToString(id: Uint8Array): string {
  const h = Buffer.from(id.buffer, id.byteOffset, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
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
