export type { Logger } from '../logger.js';
export type { AsyncJournal } from './contract.js';
export { coordinate, validateCoordinate } from './coordinate.js';
export { Cursor } from './delivery/cursor.js';
export { LossySubscription } from './delivery/lossy-subscription.js';
export type * from './delivery/types.js';
export { CursorWorkerAction, RestartPolicy } from './delivery/types.js';
export { DENIAL_EVENT_TYPE, Journal, open, openReadOnly } from './journal.js';
export type {
  PostgresCursorWorkerConfig,
  PostgresCursorWorkerContext,
} from './postgres/cursor-worker.js';
export {
  openPostgresJournal,
  type PendingReceipt,
  PostgresJournal,
  type PostgresJournalOptions,
} from './postgres/journal.js';
export { journalSchemaSql } from './postgres/schema.js';
export { regionMatches, validateRegion } from './region.js';
export type * from './types.js';
