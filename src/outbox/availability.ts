import { DatabaseUnavailable } from '../errors.js';
import { Directive, type WorkerAction } from '../worker/index.js';
import type { Runtime } from './runtime.js';

/** How often an unavailable database is asked again: quickly at first, then once a second. */
const PROBE_MS = 100;
const SLOW_PROBE_MS = 1000;
const QUICK_FOR_MS = 10_000;

/**
 * While the database is away, one probe asks it again every 100 ms (every second after 10 s) and
 * every worker that met the outage waits for that probe instead of backing off on its own: work
 * resumes within a probe of the database coming back, the database is not hammered by each worker,
 * and each outage is logged once, with how long it lasted.
 */
export class Availability {
  private outage: Promise<void> | null = null;

  constructor(
    private readonly rt: Pick<Runtime, 'conn' | 'logger'>,
    /** Aborts when the outbox stops. */
    private readonly stopping: AbortSignal,
  ) {}

  /** `action`, whose runs wait for the database to be back when they find it unavailable. */
  guard<R>(action: WorkerAction<R>): WorkerAction<R> {
    return {
      execute: async (signal) => {
        try {
          return await action.execute(signal);
        } catch (e) {
          if (!(e instanceof DatabaseUnavailable)) throw e;
          await this.untilBack(e, signal);
          return Directive.proceed<R>();
        }
      },
      takePermit: action.takePermit?.bind(action),
    };
  }

  /** Resolves once the database answers again, or `signal` aborts. */
  private untilBack(err: DatabaseUnavailable, signal: AbortSignal): Promise<void> {
    this.outage ??= this.probe(err).finally(() => {
      this.outage = null;
    });
    return untilAborted(this.outage, signal);
  }

  private async probe(first: DatabaseUnavailable): Promise<void> {
    const since = Date.now();
    this.rt.logger.warn({ err: first }, 'outbox database unavailable; work resumes when it answers again');
    for (;;) {
      await sleep(Date.now() - since < QUICK_FOR_MS ? PROBE_MS : SLOW_PROBE_MS, this.stopping);
      if (this.stopping.aborted) return;
      try {
        await this.rt.conn.executor.query('SELECT 1');
        break;
      } catch (e) {
        if (!(e instanceof DatabaseUnavailable)) break; // it answers, if not as hoped: let the workers see
      }
    }
    this.rt.logger.info({ unavailableMs: Date.now() - since }, 'outbox database available again');
  }
}

/** `done`, or sooner when `signal` aborts. */
function untilAborted(done: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    void done.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

const sleep = (ms: number, signal: AbortSignal) =>
  untilAborted(new Promise((resolve) => setTimeout(resolve, ms)), signal);
