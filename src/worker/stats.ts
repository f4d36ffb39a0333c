import type { Directive, WorkerInfo, WorkerListener } from './types.js';

/** Counts and timings of one worker or one category. */
export interface WorkerStats {
  executions: number;
  proceeds: number;
  idles: number;
  sleeps: number;
  failures: number;
  totalMs: number;
  maxMs: number;
  lastError: unknown;
}

const empty = (): WorkerStats => ({
  executions: 0,
  proceeds: 0,
  idles: 0,
  sleeps: 0,
  failures: 0,
  totalMs: 0,
  maxMs: 0,
  lastError: undefined,
});

/** A listener that keeps {@link WorkerStats} per worker and per category. */
export class StatsListener implements WorkerListener {
  readonly byWorker = new Map<string, WorkerStats>();
  readonly byCategory = new Map<string, WorkerStats>();

  onComplete(worker: WorkerInfo, durationMs: number, directive: Directive): void {
    for (const s of this.entries(worker)) {
      s.executions++;
      s.totalMs += durationMs;
      s.maxMs = Math.max(s.maxMs, durationMs);
      if (directive.kind === 'proceed') s.proceeds++;
      else if (directive.kind === 'idle') s.idles++;
      else if (directive.kind === 'sleep') s.sleeps++;
    }
  }

  onError(worker: WorkerInfo, error: unknown): void {
    for (const s of this.entries(worker)) {
      s.failures++;
      s.lastError = error;
    }
  }

  private entries(worker: WorkerInfo): WorkerStats[] {
    const get = (map: Map<string, WorkerStats>, key: string) => {
      let s = map.get(key);
      if (!s) {
        s = empty();
        map.set(key, s);
      }
      return s;
    };
    return [get(this.byWorker, worker.name), get(this.byCategory, worker.category)];
  }
}
