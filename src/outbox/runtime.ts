import type { Logger } from '../logger.js';
import type { Notifier } from '../worker/index.js';
import type { Dialect, OutboxConnection } from './dialects/dialect.js';
import type { Statements } from './dialects/statements.js';
import type { SequencerHints } from './hints.js';
import type { QueueRegistry } from './registry.js';
import type { Reporter } from './reporter.js';
import type { Counters } from './stats.js';
import type { Tuning } from './types.js';

/** What the background workers of one outbox share. */
export interface Runtime {
  readonly conn: OutboxConnection;
  readonly dialect: Dialect;
  readonly sql: Statements;
  readonly registry: QueueRegistry;
  readonly hints: SequencerHints;
  /** In-process wake-ups of this process's partition processors, by partition id. */
  readonly processors: Map<number, Notifier>;
  readonly counters: Counters;
  readonly tuning: Tuning;
  /** PostgreSQL: the channel for cross-process wake-ups; null elsewhere. */
  readonly notifyChannel: string | null;
  readonly owner: string;
  readonly logger: Logger;
  readonly reporter: Reporter;
}

/** A number from a driver value (PostgreSQL returns bigint as a string; NULL is 0). */
export const num = (v: unknown): number => (v == null ? 0 : Number(v));
