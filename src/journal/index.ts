export { coordinate, validateCoordinate } from './coordinate.js';
export { Journal, open, openReadOnly } from './journal.js';
export { regionMatches, validateRegion } from './region.js';
export type * from './types.js';
