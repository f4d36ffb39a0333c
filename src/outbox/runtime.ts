import type { Logger } from '../logger.js';
import type { Semaphore } from '../worker/index.js';
import type { Dialect, OutboxConnection } from './dialects/dialect.js';
import type { Statements } from './dialects/statements.js';
import type { SequencerHints } from './hints.js';
import type { QueueRegistry } from './registry.js';
import type { Reporter } from './reporter.js';
import type { Counters } from './stats.js';
import type { Tuning } from './types.js';
import type { LeasedAcks } from './workers/acks.js';

/** What the background workers of one outbox share. */
export interface Runtime {
  readonly conn: OutboxConnection;
  readonly dialect: Dialect;
  readonly sql: Statements;
  readonly registry: QueueRegistry;
  readonly hints: SequencerHints;
  /** This process's partition processors, by partition id. */
  readonly processors: Map<number, LocalProcessor>;
  /** How many processors may run at once (`OutboxOptions.processors`). */
  readonly processorSlots: Semaphore;
  /** Where the dialect can: leased acknowledgements of several partitions in one statement. */
  readonly acks: LeasedAcks | null;
  readonly counters: Counters;
  readonly tuning: Tuning;
  /** PostgreSQL: the channel for cross-process wake-ups; null elsewhere. */
  readonly notifyChannel: string | null;
  readonly owner: string;
  readonly logger: Logger;
  readonly reporter: Reporter;
}

/** A partition processor of this process, as the sequencer and the wake-ups see it. */
export interface LocalProcessor {
  wake(): void;
  /**
   * Reserves the processor's next delivery for messages the sequencer reads while it numbers them,
   * when the processor is leased, idle, and holds the partition for a while yet: returns the
   * sequence they must follow and how many it takes; null otherwise.
   */
  reserve(): { readonly acked: number; readonly limit: number } | null;
  /** Ends a reservation with the messages read for it (none when there were none), and wakes it. */
  handOver(rows: Record<string, unknown>[]): void;
}

/** A number from a driver value (PostgreSQL returns bigint as a string; NULL is 0). */
export const num = (v: unknown): number => (v == null ? 0 : Number(v));
