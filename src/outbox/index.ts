export type { Logger } from '../logger.js';
export type { OutboxDatabase } from './connect.js';
export type { DeadLetters } from './dead-letters.js';
export { Outbox, OutboxBuilder } from './outbox.js';
export { partitionForKey } from './partitioning.js';
export { OutboxProfile } from './profiles.js';
export { type RelayOptions, relayToOutbox } from './relay.js';
export { leased, leasedBatch, Result, transactional, transactionalBatch } from './results.js';
export type * from './types.js';
