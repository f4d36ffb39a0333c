/**
 * Public types of the worker loop, gathered in one place.
 */
import type { ConcurrencyLimit, Release } from './limit.js';
import type { Notifier } from './notifier.js';

/** What the action wants next. Build with {@link Directive}'s helpers. */
export type Directive<R = unknown> =
  /** More work is waiting: run again after the pacing delay. */
  | { readonly kind: 'proceed'; readonly report?: R }
  /** No work: wait for any notifier. */
  | { readonly kind: 'idle'; readonly report?: R }
  /** Run again after `ms`, or at the first notifier, whichever comes first. */
  | { readonly kind: 'sleep'; readonly ms: number; readonly report?: R }
  /** The run failed in a way worth retrying: back off, then run again. */
  | { readonly kind: 'failed'; readonly error: unknown; readonly report?: R };

/** The work a worker repeats. */
export interface WorkerAction<R = unknown> {
  /**
   * One run. `signal` aborts when the worker is asked to stop: the run is not interrupted, but
   * long work should check it and return early.
   */
  execute(signal: AbortSignal): Promise<Directive<R>> | Directive<R>;
  /**
   * A permit of the worker's limit the action took ahead for its next run (it reserved work that
   * must start at once), used instead of waiting for one; null when it holds none.
   */
  takePermit?(): Release | null;
}

/** Pacing of consecutive `proceed` runs. All in milliseconds. */
export interface PacingOptions {
  /** Wait before the first `proceed` rerun after a wake. Default 0. */
  activeInterval?: number;
  /** Each further consecutive `proceed` waits this much less. Default 0. */
  rampStep?: number;
  /** The shortest wait. Default 0. */
  minInterval?: number;
}

/** Exponential backoff after failures. Milliseconds; `jitter` is a fraction (0.1 = ±10%). */
export interface BackoffOptions {
  initial?: number;
  max?: number;
  multiplier?: number;
  jitter?: number;
}

/** What happens when `execute` throws. */
export type ThrowPolicy =
  /** Treat the throw as a failure: back off and run again. The worker lives on. */
  | 'catchAndRetry'
  /** Stop the worker; `join()` rejects with the thrown error. */
  | 'propagate';

/** Observes a worker's life, for logs and metrics. Every method is optional. */
export interface WorkerListener {
  onStart?(worker: WorkerInfo): void;
  onStop?(worker: WorkerInfo, error?: unknown): void;
  onExecuteStart?(worker: WorkerInfo): void;
  onComplete?(worker: WorkerInfo, durationMs: number, directive: Directive): void;
  onError?(worker: WorkerInfo, error: unknown, consecutiveFailures: number, backoffMs: number): void;
  onIdle?(worker: WorkerInfo): void;
  onSleep?(worker: WorkerInfo, ms: number): void;
}

/** Identity of a worker as listeners see it. */
export interface WorkerInfo {
  readonly name: string;
  /** Groups workers for statistics (`sequencer`, `vacuum`, ...). */
  readonly category: string;
}

/** Everything a worker is built from. */
export interface WorkerOptions<R = unknown> {
  name: string;
  action: WorkerAction<R>;
  category?: string;
  /** Any of these wakes the worker. */
  notifiers?: readonly Notifier[];
  pacing?: PacingOptions;
  backoff?: BackoffOptions;
  /** Held only while `execute` runs. Default unlimited. */
  limit?: ConcurrencyLimit;
  onThrow?: ThrowPolicy;
  listeners?: readonly WorkerListener[];
}
