import { InvalidArgument, JournalClosed, SubscriberLagged } from '../../errors.js';
import { regionMatches } from '../region.js';
import type { JournalEvent, Region, StoredEvent, StoredEventOf } from '../types.js';

/**
 * Live events of a region, pushed by the journal without ever waiting for the subscriber. Events wait
 * in a buffer of `capacity`; when it is full the subscription is lagged: it stops buffering, hands out
 * what it holds, then fails with {@link SubscriberLagged}, which names the position to resume from
 * with a cursor. Nothing is dropped without the subscriber being told.
 *
 * Read it with `for await (const event of subscription)`, or in batches with `wait()` and `take()`.
 * Delivered events are shared by all subscribers: do not mutate them. `E` is the event union it
 * delivers (see `Journal`).
 */
export class LossySubscription<out E extends JournalEvent = JournalEvent>
  implements AsyncIterable<StoredEventOf<E>>
{
  private buffer: StoredEventOf<E>[] = [];
  private head = 0;
  private lagAfter: number | null = null;
  private closed = false;
  private failure: unknown = null;
  private waiter: (() => void) | null = null;

  /** @internal Built by {@link Journal.subscribeLossy}. */
  constructor(
    readonly region: Region<E['type']>,
    readonly capacity: number,
    private readonly detach: (s: LossySubscription) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new InvalidArgument('capacity must be a positive integer', { capacity });
  }

  /** Events buffered and not yet taken. */
  get size(): number {
    return this.buffer.length - this.head;
  }

  /** The position after which events were not delivered, once the buffer has overflowed; else null. */
  get lagged(): number | null {
    return this.lagAfter;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal The journal offers each newly visible event, in order. */
  offer(event: StoredEvent): void {
    if (this.closed || this.lagAfter !== null || !regionMatches(this.region, event)) return;
    if (this.size >= this.capacity) this.lagAfter = event.position - 1;
    else this.buffer.push(event as StoredEventOf<E>); // the region selects the members of E
    this.notify();
  }

  /** @internal Delivery cannot go on: a closed journal ends the subscription, other errors fail it. */
  fail(error: unknown): void {
    if (!(error instanceof JournalClosed)) this.failure ??= error;
    this.close();
  }

  /**
   * Takes up to `max` buffered events without waiting. When none is left and the subscription lagged,
   * throws {@link SubscriberLagged} (or the error that stopped delivery).
   */
  take(max = Number.POSITIVE_INFINITY): StoredEventOf<E>[] {
    if (this.size === 0) {
      this.throwIfEnded();
      return [];
    }
    const end = Math.min(this.buffer.length, this.head + max);
    const out = this.buffer.slice(this.head, end);
    this.head = end;
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    }
    return out;
  }

  /** Resolves when an event is buffered, the subscription lagged or it was closed. */
  wait(): Promise<void> {
    if (this.size > 0 || this.lagAfter !== null || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.waiter;
      this.waiter = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Stops delivery; an iteration in progress ends after the buffered events. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.detach(this);
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StoredEventOf<E>> {
    try {
      for (;;) {
        if (this.size > 0) {
          yield this.buffer[this.head++];
          if (this.head === this.buffer.length) {
            this.buffer = [];
            this.head = 0;
          }
          continue;
        }
        this.throwIfEnded();
        if (this.closed) return;
        await this.wait();
      }
    } finally {
      this.close();
    }
  }

  private throwIfEnded(): void {
    if (this.lagAfter !== null) throw new SubscriberLagged(this.lagAfter);
    if (this.failure !== null) throw this.failure;
  }

  private notify(): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w();
    }
  }
}
