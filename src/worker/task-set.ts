import { InvalidArgument } from '../errors.js';
import type { WorkerOptions } from './types.js';
import { Worker } from './worker.js';

/**
 * Named workers started together and stopped together. `shutdown()` asks every worker to stop and
 * resolves when all have finished; runs in flight complete (seeing their signal abort) and nothing
 * runs after it resolves. Calling it twice is harmless.
 */
export class TaskSet {
  private readonly workers = new Map<string, Worker<unknown>>();
  private stopping: Promise<void> | null = null;

  /** Builds and starts a worker under a name unique in this set. */
  spawn<R>(options: WorkerOptions<R>): Worker<R> {
    if (this.stopping) throw new InvalidArgument('the task set is shut down');
    if (this.workers.has(options.name))
      throw new InvalidArgument(`a worker named ${options.name} already runs here`);
    const worker = new Worker(options).start();
    this.workers.set(options.name, worker as Worker<unknown>);
    // A propagated failure is reported through join(); keep it from being an unhandled rejection here.
    worker.join().catch(() => {});
    return worker;
  }

  get(name: string): Worker<unknown> | undefined {
    return this.workers.get(name);
  }

  get names(): string[] {
    return [...this.workers.keys()];
  }

  /** Stops every worker; resolves when all have stopped (failures are reported by each worker's join). */
  shutdown(): Promise<void> {
    this.stopping ??= Promise.allSettled([...this.workers.values()].map((w) => w.stop())).then(() => {});
    return this.stopping;
  }
}
