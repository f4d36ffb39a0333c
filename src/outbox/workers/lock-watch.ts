import type { Logger } from '../../logger.js';
import type { Delivery } from '../types.js';

const warned = new WeakSet<Delivery>();

/**
 * SQLite has one writer, and a transactional handler runs while its delivery holds the write lock:
 * a handler that waits for I/O or a timer keeps every other writer of the database waiting (in
 * this process, a synchronous `busy_timeout` even stops the event loop, and then fails with
 * SQLITE_BUSY). `delivery` with each call watched: one that is still pending once the event loop
 * turns is reported, once per queue. Handlers that finish synchronously, or wait only on the
 * outbox's own SQLite statements, never are.
 */
export function watchLockHolding(delivery: Delivery, queue: string, logger: Logger): Delivery {
  const handle = delivery.handle as (...args: unknown[]) => unknown;
  const watched = (...args: unknown[]) => {
    const result = handle(...args);
    if (!(result instanceof Promise)) return result;
    let settled = false;
    const turn = setImmediate(() => {
      if (settled || warned.has(delivery)) return;
      warned.add(delivery);
      logger.warn(
        { queue },
        "a transactional handler holds SQLite's write lock while it waits: other writers wait or fail with " +
          'SQLITE_BUSY meanwhile. Make it synchronous (ctx.client is the better-sqlite3 database) or use leased delivery',
      );
    });
    return result.finally(() => {
      settled = true;
      clearImmediate(turn);
    });
  };
  return { ...delivery, handle: watched } as Delivery;
}
