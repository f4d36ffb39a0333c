import { InvalidArgument } from '../../errors.js';
import { checkOptions, keys } from '../../validation.js';
import { validateRegion } from '../region.js';
import type { EffectsOptions, ReadAllOptions, ReadStreamOptions, Region } from '../types.js';

const READ_STREAM_OPTIONS = keys('from', 'limit', 'backwards');
const READ_ALL_OPTIONS = keys('after', 'limit', 'region');
const EFFECTS_OPTIONS = keys('limit');

/** `readStream`'s options checked, with their defaults (every backend reads them alike). */
export function readStreamOptions(options: ReadStreamOptions): {
  from: number | undefined;
  limit: number;
  backwards: boolean;
} {
  checkOptions(options, READ_STREAM_OPTIONS, 'readStream option');
  const { from, limit = Number.POSITIVE_INFINITY, backwards = false } = options;
  if (from !== undefined && (!Number.isSafeInteger(from) || from < 0))
    throw new InvalidArgument('from must be a non-negative integer', { from });
  checkLimit(limit);
  return { from, limit, backwards };
}

/** `readAll`'s options checked, with their defaults (every backend reads them alike). */
export function readAllOptions(options: ReadAllOptions): {
  after: number;
  limit: number;
  region: Region | undefined;
} {
  checkOptions(options, READ_ALL_OPTIONS, 'readAll option');
  const { after = 0, limit = 1000, region } = options;
  if (!Number.isSafeInteger(after) || after < 0)
    throw new InvalidArgument('after must be a non-negative integer', { after });
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new InvalidArgument('limit must be a positive integer', { limit });
  if (region !== undefined) validateRegion(region);
  return { after, limit, region };
}

/** A count of events: a non-negative integer, or no limit. */
export function checkLimit(limit: unknown): void {
  if (limit !== Number.POSITIVE_INFINITY && !(Number.isSafeInteger(limit) && (limit as number) >= 0))
    throw new InvalidArgument('limit must be a non-negative integer', { limit });
}

/** `effects`' options checked: the most events in the tree, at least 1 (the event itself), or no limit. */
export function effectsOptions(options: EffectsOptions): { limit: number } {
  checkOptions(options, EFFECTS_OPTIONS, 'effects option');
  const { limit = Number.POSITIVE_INFINITY } = options;
  checkLimit(limit);
  if (limit === 0)
    throw new InvalidArgument('effects: limit must be at least 1 (the event itself)', { limit });
  return { limit };
}
