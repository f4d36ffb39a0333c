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

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The canonical 8-4-4-4-12 form (the bytes come from the journal, so no validation is needed). */
export function idToString(b: Uint8Array): string {
  const h = HEX;
  return `${h[b[0]]}${h[b[1]]}${h[b[2]]}${h[b[3]]}-${h[b[4]]}${h[b[5]]}-${h[b[6]]}${h[b[7]]}-${h[b[8]]}${h[b[9]]}-${h[b[10]]}${h[b[11]]}${h[b[12]]}${h[b[13]]}${h[b[14]]}${h[b[15]]}`;
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
