import { InvalidArgument } from '../errors.js';
import { MAX_TIMER_MS } from '../validation.js';
import { acquirePermit, type ConcurrencyLimit, unlimited } from './limit.js';
import { Subscription } from './notifier.js';
import { Backoff, Pacing } from './schedule.js';
import type {
  Directive,
  ThrowPolicy,
  WorkerAction,
  WorkerInfo,
  WorkerListener,
  WorkerOptions,
} from './types.js';

// A streak of zero-delay `proceed`s yields to the event loop (so timers and I/O still run) once it
// has lasted this long in real time, whatever clock the rest of the program sees, or this many runs.
const YIELD_AFTER_MS = 5;
const YIELD_AFTER_RUNS = 1000;
const realMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Tracks a streak of zero-delay runs, to tell when the loop owes the event loop a turn. */
class Turns {
  private since = realMs();
  private streak = 0;

  /** The loop waited (a timer, a wake or a yield): the event loop has turned. */
  waited(): void {
    this.since = realMs();
    this.streak = 0;
  }

  /** Counts a zero-delay run; true when the streak has gone on long enough to yield. */
  due(): boolean {
    return ++this.streak >= YIELD_AFTER_RUNS || (this.streak > 1 && realMs() - this.since >= YIELD_AFTER_MS);
  }
}

/**
 * Runs an action again and again, as its directives say. It starts idle (the first run needs a wake),
 * holds its concurrency permit only while `execute` runs, backs off after failures and stops when
 * asked, never interrupting a run in flight.
 */
export class Worker<R = unknown> {
  readonly info: WorkerInfo;
  private readonly action: WorkerAction<R>;
  private readonly subscription = new Subscription();
  private readonly unsubscribe: (() => void)[];
  private readonly pacing: Pacing;
  private readonly backoff: Backoff;
  private readonly limit: ConcurrencyLimit;
  private readonly onThrow: ThrowPolicy;
  private readonly listeners: readonly WorkerListener[];
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;

  /** Validates the configuration; throws {@link InvalidArgument} on a mistake. Call `start()` to run. */
  constructor(options: WorkerOptions<R>) {
    if (typeof options.name !== 'string' || options.name.length === 0)
      throw new InvalidArgument('a worker needs a name');
    if (typeof options.action?.execute !== 'function')
      throw new InvalidArgument('a worker needs an action with execute()', { name: options.name });
    const onThrow = options.onThrow ?? 'catchAndRetry';
    if (onThrow !== 'catchAndRetry' && onThrow !== 'propagate')
      throw new InvalidArgument(`unknown throw policy ${String(onThrow)}`);
    this.info = Object.freeze({ name: options.name, category: options.category ?? options.name });
    this.action = options.action;
    this.pacing = new Pacing(options.pacing);
    this.backoff = new Backoff(options.backoff);
    this.limit = options.limit ?? unlimited;
    this.onThrow = onThrow;
    this.listeners = options.listeners ?? [];
    this.unsubscribe = (options.notifiers ?? []).map((n) => n.subscribe(this.subscription));
  }

  /** Wakes this worker directly (as any of its notifiers would). */
  wake(): void {
    this.subscription.give();
  }

  /** Starts the loop; calling it again does nothing. Returns the worker. */
  start(): this {
    this.running ??= this.loop();
    return this;
  }

  /** Resolves when the worker has stopped; rejects with the error a `propagate` worker stopped on. */
  join(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  /** Asks the worker to stop (a run in flight sees its signal abort) and waits until it has. */
  stop(): Promise<void> {
    this.abort.abort();
    return this.join();
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  private emit<K extends keyof WorkerListener>(
    event: K,
    ...args: Parameters<NonNullable<WorkerListener[K]>> extends [WorkerInfo, ...infer Rest] ? Rest : never
  ): void {
    for (const l of this.listeners) {
      const f = l[event] as ((info: WorkerInfo, ...rest: unknown[]) => void) | undefined;
      if (!f) continue;
      try {
        f.call(l, this.info, ...args);
      } catch {
        // A listener must not take the worker down.
      }
    }
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    let failure: unknown;
    // A running worker keeps its process alive until it stops, as a listening server does: a
    // consumer whose database went away waits and retries instead of letting the program end.
    const keepAlive = setInterval(() => {}, MAX_TIMER_MS);
    this.emit('onStart');
    try {
      let next = await this.subscription.wait(signal);
      const turns = new Turns();
      while (next !== 'aborted' && !signal.aborted) {
        const release = this.action.takePermit?.() ?? (await acquirePermit(this.limit, signal));
        if (!release) break;
        let directive: Directive<R>;
        const started = performance.now();
        this.emit('onExecuteStart');
        try {
          directive = await this.action.execute(signal);
        } catch (err) {
          if (this.onThrow === 'propagate') throw err;
          directive = { kind: 'failed', error: err };
        } finally {
          release();
        }
        const now = performance.now();
        this.emit('onComplete', now - started, directive);
        if (directive.kind === 'failed') {
          const wait = this.backoff.fail();
          this.emit('onError', directive.error, this.backoff.failures, wait);
          next = await this.pause(wait);
          turns.waited();
          continue;
        }
        this.backoff.succeed();
        if (directive.kind === 'proceed') {
          const wait = this.pacing.next();
          if (wait > 0) {
            next = await this.pause(wait);
            turns.waited();
          } else if (turns.due()) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            turns.waited();
          }
          continue;
        }
        this.pacing.reset();
        if (directive.kind === 'idle') {
          this.emit('onIdle');
          next = await this.subscription.wait(signal);
        } else {
          this.emit('onSleep', directive.ms);
          next = await this.subscription.wait(signal, Math.max(0, directive.ms));
        }
        turns.waited();
      }
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      clearInterval(keepAlive);
      for (const u of this.unsubscribe) u();
      this.emit('onStop', failure);
    }
  }

  /** Waits `ms` (not interrupted by wakes, which stay stored); 'aborted' if stopped meanwhile. */
  private pause(ms: number): Promise<'timeout' | 'aborted'> {
    const signal = this.abort.signal;
    if (signal.aborted) return Promise.resolve('aborted');
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve('aborted');
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve('timeout');
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
