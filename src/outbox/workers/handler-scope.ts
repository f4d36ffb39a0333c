import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which outbox's handler the current code runs in (its runtime), so `stop()` called from inside a
 * handler knows not to wait for that very handler.
 */
export const handlerScope = new AsyncLocalStorage<object>();
