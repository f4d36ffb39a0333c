import { InvalidArgument, JournalClosed, WaitTimeout } from '../errors.js';
import { isTimerDelay, MAX_TIMER_MS } from '../validation.js';
import type { Watermark, Watermarks } from './types.js';

const NAMES: readonly Watermark[] = ['accepted', 'written', 'durable', 'visible', 'applied'];

interface Waiter {
  mark: Watermark;
  position: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Progress positions of the journal, and promises that resolve when one reaches a position. */
export class WatermarkTracker {
  private readonly marks: Record<Watermark, number> = {
    accepted: 0,
    written: 0,
    durable: 0,
    visible: 0,
    applied: 0,
  };
  private waiters: Waiter[] = [];
  /** Positions of the consumers that feed `applied` (registered projections). */
  private readonly appliedBy = new Map<object, number>();

  get(mark: Watermark): number {
    return this.marks[mark];
  }

  snapshot(): Watermarks {
    return { ...this.marks };
  }

  /** Raises a watermark (never lowers it) and wakes its waiters. */
  advance(mark: Exclude<Watermark, 'applied'>, position: number): void {
    if (position <= this.marks[mark]) return;
    this.marks[mark] = position;
    if (mark === 'visible') this.recomputeApplied();
    else this.wake();
  }

  /**
   * Records how far a consumer (a registered projection) has applied the journal; `applied` is the
   * lowest of them, or `visible` when there is none. Adding a consumer behind the others lowers it.
   */
  setApplied(consumer: object, position: number): void {
    this.appliedBy.set(consumer, position);
    this.recomputeApplied();
  }

  /** Stops a consumer from holding `applied` back. */
  removeApplied(consumer: object): void {
    if (this.appliedBy.delete(consumer)) this.recomputeApplied();
  }

  private recomputeApplied(): void {
    let applied = this.marks.visible;
    for (const p of this.appliedBy.values()) applied = Math.min(applied, p);
    this.marks.applied = applied;
    this.wake();
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.marks[w.mark] >= w.position) {
        if (w.timer) clearTimeout(w.timer);
        w.resolve();
      } else still.push(w);
    }
    this.waiters = still;
  }

  /** Resolves when `mark` reaches `position`; rejects with {@link WaitTimeout} after `timeoutMs`. */
  waitFor(mark: Watermark, position: number, timeoutMs?: number): Promise<void> {
    if (!NAMES.includes(mark)) throw new InvalidArgument(`unknown watermark ${String(mark)}`, { mark });
    if (!Number.isSafeInteger(position) || position < 0)
      throw new InvalidArgument('position must be a non-negative integer', { position });
    if (timeoutMs !== undefined && !isTimerDelay(timeoutMs))
      throw new InvalidArgument(
        `timeoutMs must be from 0 to ${MAX_TIMER_MS} (omit it to wait without a limit)`,
        {
          timeoutMs,
        },
      );
    if (this.marks[mark] >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { mark, position, resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new WaitTimeout(`${mark} watermark ${position}`, timeoutMs));
        }, timeoutMs);
      }
      this.waiters.push(waiter);
    });
  }

  /** Fails every pending wait (the journal closed or failed). */
  rejectAll(error: Error = new JournalClosed()): void {
    for (const w of this.waiters) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(error);
    }
    this.waiters = [];
  }
}
