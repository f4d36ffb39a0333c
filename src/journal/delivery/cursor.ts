import path from 'node:path';
import { CheckpointAhead, CheckpointWriteFailed, InvalidArgument } from '../../errors.js';
import { checkOptions, keys } from '../../validation.js';
import { validateRegion } from '../region.js';
import type { JournalEvent, Region, StoredEventOf } from '../types.js';
import {
  CheckpointFile,
  canonicalRegion,
  type SavedPosition,
  validateCheckpointId,
} from './checkpoint-file.js';
import type { JournalFeed } from './feed.js';
import type { CursorOptions } from './types.js';

const CURSOR_OPTIONS = keys('checkpointId', 'after');

/**
 * Throws {@link CheckpointAhead} unless the journal holds the event the checkpoint was saved at: a
 * checkpoint past the journal's end, or tied to another history, would skip events.
 */
export function checkAgainstJournal(journal: JournalFeed, id: string, saved: SavedPosition): void {
  if (saved.position === 0) return;
  let end = journal.watermarks().visible;
  if (saved.position > end && journal.readOnly) end = journal.catchUp();
  if (saved.position > end)
    throw new CheckpointAhead(id, saved.position, end, `the journal ends at position ${end}`);
  if (saved.event !== null && journal.eventIdAt(saved.position) !== saved.event)
    throw new CheckpointAhead(id, saved.position, end, 'the journal holds another event at that position');
}

/** Folder of a journal's checkpoints. */
export const checkpointDir = (journal: JournalFeed): string => path.join(journal.dir, 'checkpoints');

/**
 * A pull cursor over a region: `poll(max)` returns the next visible events in global order. With a
 * checkpoint id, `commit()` saves the position durably and a new cursor with the same id resumes there.
 * A poll reads only what it returns (the region's posting lists say where its events are).
 * `E` is the event union it returns (see `Journal`).
 */
export class Cursor<out E extends JournalEvent = JournalEvent> {
  readonly region: Region<E['type']>;
  /** @internal The checkpoint, when the cursor has an id. */
  readonly checkpoint: CheckpointFile | null;
  private at: number;
  private committedAt: number;

  /** Throws `CheckpointRegionMismatch` when the id was saved for another region, `CheckpointCorrupt` when unreadable. */
  constructor(
    private readonly journal: JournalFeed,
    region: Region,
    options: CursorOptions = {},
  ) {
    this.region = canonicalRegion(validateRegion(region)) as Region<E['type']>;
    checkOptions(options, CURSOR_OPTIONS, 'cursor option');
    const { checkpointId, after = 0 } = options;
    if (!Number.isSafeInteger(after) || after < 0)
      throw new InvalidArgument('after must be a non-negative integer', { after });
    this.checkpoint =
      checkpointId === undefined
        ? null
        : new CheckpointFile(checkpointDir(journal), validateCheckpointId(checkpointId), this.region);
    const saved = this.checkpoint?.load();
    if (saved) checkAgainstJournal(journal, this.checkpoint!.id, saved);
    this.at = saved?.position ?? after;
    this.committedAt = this.at;
  }

  /** Global position the next poll starts after. */
  get position(): number {
    return this.at;
  }

  /** Position of the last commit (where a rollback, or a new cursor with the same id, resumes). */
  get committed(): number {
    return this.committedAt;
  }

  /** True when commits are saved to disk. */
  get durable(): boolean {
    return this.checkpoint !== null;
  }

  /** The next `max` visible events of the region after {@link position}, and moves past them. */
  poll(max = 256): StoredEventOf<E>[] {
    if (!Number.isInteger(max) || max < 1)
      throw new InvalidArgument('max must be a positive integer', { max });
    let page = this.journal.readAll({ after: this.at, limit: max, region: this.region });
    // A reader beside a writer looks for new events only when it has read all it knew of.
    if (page.done && this.journal.readOnly && this.journal.catchUp() > page.nextAfter) {
      const more = this.journal.readAll({
        after: page.nextAfter,
        limit: max - page.events.length,
        region: this.region,
      });
      page = { events: [...page.events, ...more.events], nextAfter: more.nextAfter, done: more.done };
    }
    this.at = page.nextAfter;
    return page.events as StoredEventOf<E>[];
  }

  /**
   * Makes the current position the committed one, saving it durably first when the cursor has an
   * id. The events it covers are made durable before the checkpoint is written, so a power loss can
   * never leave a checkpoint past the journal's end.
   */
  commit(): void {
    if (this.checkpoint) {
      const position = this.at;
      try {
        this.journal.makeDurableSync(position);
      } catch (err) {
        throw new CheckpointWriteFailed(this.checkpoint.id, err);
      }
      this.checkpoint.writeSync(this.savedAt(position));
    }
    this.committedAt = this.at;
  }

  /** {@link commit} without blocking the event loop on the disk. */
  async commitAsync(): Promise<void> {
    const position = this.at;
    await this.save(position);
    this.committedAt = Math.max(this.committedAt, position);
  }

  /** @internal Saves `position` as the checkpoint: first the events it covers are made durable. */
  async save(position: number): Promise<void> {
    if (!this.checkpoint) return;
    try {
      await this.journal.makeDurable(position);
    } catch (err) {
      throw new CheckpointWriteFailed(this.checkpoint.id, err);
    }
    await this.checkpoint.write(this.savedAt(position));
  }

  private savedAt(position: number): SavedPosition {
    return { position, event: position === 0 ? null : this.journal.eventIdAt(position) };
  }

  /** Goes back to the committed position: what was polled since is delivered again. */
  rollback(): void {
    this.at = this.committedAt;
  }

  /** @internal Marks the current position committed; the caller saves it. */
  markCommitted(): number {
    this.committedAt = this.at;
    return this.at;
  }
}
