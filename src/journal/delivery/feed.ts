import type { Logger } from '../../logger.js';
import type {
  AppendReceipt,
  BatchItem,
  BatchOptions,
  ReadAllOptions,
  ReadPage,
  ReadStreamOptions,
  StoredEvent,
  Watermarks,
} from '../types.js';

/**
 * What consumers (cursors, cursor workers, reactors, projections, subscriptions) need of a journal:
 * reading in global order, being told of commits, making positions durable before a checkpoint
 * covers them, and (reactors) appending. Delivery depends on this, not on the journal class, so any
 * journal backend that offers it gets the same consumers.
 */
export interface JournalFeed {
  /** Where consumers keep their checkpoints and projection caches (`checkpoints/`, `projections/`). */
  readonly dir: string;
  /** A reader: it sees the writer's progress by `catchUp`, and cannot append. */
  readonly readOnly: boolean;
  readonly logger: Logger;
  readAll(options?: ReadAllOptions): ReadPage;
  readStream(entity: string, options?: ReadStreamOptions): StoredEvent[];
  appendBatch(items: readonly BatchItem[], options?: BatchOptions): AppendReceipt[];
  watermarks(): Watermarks;
  /** A reader looks for the writer's progress and returns the new visible position. */
  catchUp(): number;
  /** Id of the event at a global position (1 to visible), which checkpoints are tied to. */
  eventIdAt(position: number): string;
  /** Resolves once the events up to `position` (and what this process wrote) are durable. */
  makeDurable(position: number): Promise<void>;
  /** {@link makeDurable} on this thread. */
  makeDurableSync(position: number): void;
  /** Calls `listener` each time events become visible; returns the way to stop. */
  onCommit(listener: (visible: number) => void): () => void;
  /** A registered projection reports how far it has applied the feed (the `applied` watermark). */
  trackApplied(consumer: object, position: number): void;
  untrackApplied(consumer: object): void;
}
