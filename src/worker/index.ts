export { Directive } from './directive.js';
export { acquirePermit, type ConcurrencyLimit, type Release, Semaphore, unlimited } from './limit.js';
export { Mutex } from './mutex.js';
export { Notifier, poker } from './notifier.js';
export { StatsListener, type WorkerStats } from './stats.js';
export { TaskSet } from './task-set.js';
export type {
  BackoffOptions,
  PacingOptions,
  ThrowPolicy,
  WorkerAction,
  WorkerInfo,
  WorkerListener,
  WorkerOptions,
} from './types.js';
export { Worker } from './worker.js';
