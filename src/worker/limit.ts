import { InvalidArgument } from '../errors.js';

/** Gives a permit back. Calling it twice is harmless. */
export type Release = () => void;

/** A counting semaphore with FIFO waiters; can be shared by several workers. */
export class Semaphore {
  private available: number;
  private readonly waiters: ((release: Release) => void)[] = [];

  constructor(readonly permits: number) {
    if (!Number.isInteger(permits) || permits < 1) {
      throw new InvalidArgument('a semaphore needs at least one permit', { permits });
    }
    this.available = permits;
  }

  /** A permit now, or null. */
  tryAcquire(): Release | null {
    if (this.available === 0) return null;
    this.available--;
    return this.releaser();
  }

  /** Waits for a permit; resolves null if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<Release | null> {
    const now = this.tryAcquire();
    if (now || signal.aborted) return Promise.resolve(now);
    return new Promise((resolve) => {
      const grant = (release: Release) => {
        signal.removeEventListener('abort', onAbort);
        resolve(release);
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(grant);
        if (i !== -1) this.waiters.splice(i, 1);
        resolve(null);
      };
      this.waiters.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next(this.releaser());
      else this.available++;
    };
  }
}

/**
 * How many `execute` calls may run at once.
 * - `unlimited`;
 * - `fixed`: one semaphore, shared by every worker given it;
 * - `tiered`: a `shared` pool tried first, then a `guaranteed` one, then whichever frees first.
 *   High-priority workers get `tiered`; low-priority ones get `fixed` on the shared pool alone, so
 *   they run only when the high-priority ones leave shared capacity free.
 */
export type ConcurrencyLimit =
  | { readonly kind: 'unlimited' }
  | { readonly kind: 'fixed'; readonly semaphore: Semaphore }
  | { readonly kind: 'tiered'; readonly guaranteed: Semaphore; readonly shared: Semaphore };

export const unlimited: ConcurrencyLimit = { kind: 'unlimited' };

const NOTHING: Release = () => {};

/** Takes a permit of `limit`; null if `signal` aborted first. */
export async function acquirePermit(limit: ConcurrencyLimit, signal: AbortSignal): Promise<Release | null> {
  switch (limit.kind) {
    case 'unlimited':
      return NOTHING;
    case 'fixed':
      return limit.semaphore.acquire(signal);
    case 'tiered': {
      const now = limit.shared.tryAcquire() ?? limit.guaranteed.tryAcquire();
      if (now) return now;
      // Wait on both; the first grant wins and the other wait is withdrawn (or its permit returned).
      const race = new AbortController();
      const onAbort = () => race.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const waits = [limit.shared.acquire(race.signal), limit.guaranteed.acquire(race.signal)];
        const first = await Promise.race(waits);
        race.abort();
        const [a, b] = await Promise.all(waits);
        const winner = first ?? a ?? b;
        for (const r of [a, b]) if (r && r !== winner) r();
        if (signal.aborted) {
          winner?.();
          return null;
        }
        return winner;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    }
  }
}
