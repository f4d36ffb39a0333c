import { InvalidArgument } from '../errors.js';

/**
 * A wake-up source. `wake()` reaches every worker subscribed to it; each keeps a stored permit, so a
 * wake sent while the worker is busy is not lost, and several wakes before it looks become one.
 */
export class Notifier {
  private readonly subscribers = new Set<Subscription>();

  /** Wakes every subscribed worker (or leaves each a permit). */
  wake(): void {
    for (const s of this.subscribers) s.give();
  }

  /** @internal A worker's permit on this and other notifiers. */
  subscribe(subscription: Subscription): () => void {
    this.subscribers.add(subscription);
    return () => this.subscribers.delete(subscription);
  }
}

/** One worker's stored permit, fed by any number of notifiers. */
export class Subscription {
  private permit = false;
  private waiter: (() => void) | null = null;

  give(): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w();
    } else this.permit = true;
  }

  /** Takes a stored permit if there is one. */
  take(): boolean {
    const had = this.permit;
    this.permit = false;
    return had;
  }

  /** Resolves at the next permit (taking it), after `timeoutMs` if given, or when `signal` aborts. */
  wait(signal: AbortSignal, timeoutMs?: number): Promise<'woken' | 'timeout' | 'aborted'> {
    if (this.take()) return Promise.resolve('woken');
    if (signal.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (how: 'woken' | 'timeout' | 'aborted') => {
        this.waiter = null;
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(how);
      };
      const onAbort = () => done('aborted');
      this.waiter = () => done('woken');
      signal.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(() => done('timeout'), timeoutMs);
    });
  }
}

/**
 * A notifier woken every `intervalMs`: the safety net for workers that otherwise wait for signals.
 * Stop it with `stop()` or the signal.
 */
export function poker(intervalMs: number, signal?: AbortSignal): Notifier & { stop(): void } {
  if (!(intervalMs > 0)) throw new InvalidArgument('poker interval must be positive', { intervalMs });
  const n = new Notifier() as Notifier & { stop(): void };
  const timer = setInterval(() => n.wake(), intervalMs);
  timer.unref?.();
  n.stop = () => clearInterval(timer);
  signal?.addEventListener('abort', n.stop, { once: true });
  return n;
}
