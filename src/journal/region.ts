import { InvalidArgument } from '../errors.js';
import { keys, refuseUnknownKeys } from '../validation.js';
import { entityHasPrefix, isEventType, validateEntity, validateScope } from './coordinate.js';
import type { Region, StoredEvent } from './types.js';

const REGION_KEYS = keys('entityPrefix', 'scope', 'types', 'fromPosition', 'toPosition');

/** Checks a region's fields; throws {@link InvalidArgument} or `InvalidCoordinate`. */
export function validateRegion(region: Region): Region {
  if (region === null || typeof region !== 'object')
    throw new InvalidArgument('region must be an object', { region });
  refuseUnknownKeys(region, REGION_KEYS, 'region field');
  const { entityPrefix, scope, types, fromPosition, toPosition } = region;
  if (entityPrefix !== undefined) validateEntity(entityPrefix);
  if (scope !== undefined) validateScope(scope);
  if (types !== undefined && (!Array.isArray(types) || !types.every(isEventType))) {
    throw new InvalidArgument('region.types must be an array of event type names', { types });
  }
  for (const [name, v] of [
    ['fromPosition', fromPosition],
    ['toPosition', toPosition],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1))
      throw new InvalidArgument(`region.${name} must be a position (>= 1)`, { [name]: v });
  }
  return region;
}

/** True when the event lies in the region. */
export function regionMatches(
  region: Region,
  e: Pick<StoredEvent, 'entity' | 'scope' | 'type' | 'position'>,
): boolean {
  return (
    (region.entityPrefix === undefined || entityHasPrefix(e.entity, region.entityPrefix)) &&
    (region.scope === undefined || e.scope === region.scope) &&
    (region.types === undefined || region.types.includes(e.type)) &&
    (region.fromPosition === undefined || e.position >= region.fromPosition) &&
    (region.toPosition === undefined || e.position <= region.toPosition)
  );
}
