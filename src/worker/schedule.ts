import { InvalidArgument } from '../errors.js';
import type { BackoffOptions, PacingOptions } from './types.js';

const nonNegative = (what: string, v: number) => {
  if (!Number.isFinite(v) || v < 0)
    throw new InvalidArgument(`${what} must be a non-negative number of ms`, { [what]: v });
};

/** The wait before each consecutive `proceed` rerun: `activeInterval`, then shorter by `rampStep`, down to `minInterval`. */
export class Pacing {
  private readonly active: number;
  private readonly step: number;
  private readonly min: number;
  private streak = 0;

  constructor(o: PacingOptions = {}) {
    this.active = o.activeInterval ?? 0;
    this.step = o.rampStep ?? 0;
    this.min = o.minInterval ?? 0;
    nonNegative('activeInterval', this.active);
    nonNegative('rampStep', this.step);
    nonNegative('minInterval', this.min);
    if (this.min > this.active) {
      throw new InvalidArgument('minInterval must not exceed activeInterval', {
        minInterval: this.min,
        activeInterval: this.active,
      });
    }
  }

  /** Delay before the next `proceed` rerun. */
  next(): number {
    return Math.max(this.min, this.active - this.step * this.streak++);
  }

  /** After idle or sleep: the next `proceed` waits the full active interval again. */
  reset(): void {
    this.streak = 0;
  }
}

/** Exponential backoff: `initial`, times `multiplier` per consecutive failure, capped at `max`, with ±`jitter`. */
export class Backoff {
  private readonly initial: number;
  private readonly max: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  /** Consecutive failures so far. */
  failures = 0;

  constructor(
    o: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.initial = o.initial ?? 100;
    this.max = o.max ?? 30_000;
    this.multiplier = o.multiplier ?? 2;
    this.jitter = o.jitter ?? 0.1;
    nonNegative('backoff.initial', this.initial);
    nonNegative('backoff.max', this.max);
    if (this.max < this.initial)
      throw new InvalidArgument('backoff.max must not be below backoff.initial', {
        initial: this.initial,
        max: this.max,
      });
    if (!(this.multiplier >= 1))
      throw new InvalidArgument('backoff.multiplier must be at least 1', { multiplier: this.multiplier });
    if (!(this.jitter >= 0 && this.jitter <= 1))
      throw new InvalidArgument('backoff.jitter must be between 0 and 1', { jitter: this.jitter });
  }

  /** Records a failure and returns the wait before the next run. */
  fail(): number {
    const base = Math.min(this.max, this.initial * this.multiplier ** this.failures++);
    const spread = base * this.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.min(this.max, base + spread));
  }

  succeed(): void {
    this.failures = 0;
  }
}
