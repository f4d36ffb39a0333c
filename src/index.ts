/**
 * Causeway: an embedded, hash-chained event journal and a transactional SQL outbox.
 * @packageDocumentation
 */
export * from './errors.js';
export * from './gates/index.js';
export * from './journal/index.js';
export * from './logger.js';
export * from './outbox/index.js';
export type * from './sink.js';
export * from './sql/index.js';
export * from './worker/index.js';
