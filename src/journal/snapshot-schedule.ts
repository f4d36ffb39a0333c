import type { Logger } from '../logger.js';
import type { SnapshotStatus } from './types.js';

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 60_000;

/**
 * When the writer snapshots its index: every `every` events (0: only on close), in the
 * background. A snapshot only shortens the next open, so a failed one (a full disk, an unwritable
 * file) is logged and tried again after a growing pause while appends go on.
 */
export class SnapshotSchedule {
  private since: number;
  private scheduled = false;
  private retryAt = 0;
  private covered: number;
  private writtenAt: number | null = null;
  private failures = 0;
  private consecutive = 0;
  private lastError: string | null = null;

  constructor(
    private readonly every: number,
    private readonly logger: Logger,
    private readonly dir: string,
    /** Events the snapshot the journal opened from covers, and events appended since. */
    opened: { covered: number; since: number },
  ) {
    this.covered = opened.covered;
    this.since = opened.since;
  }

  /** Counts appended events; true when a background snapshot should be scheduled now. */
  appended(events: number): boolean {
    this.since += events;
    if (this.every === 0 || this.scheduled || this.since < this.every || Date.now() < this.retryAt)
      return false;
    this.scheduled = true;
    return true;
  }

  /** True when events were appended since the last snapshot. */
  get stale(): boolean {
    return this.since > 0;
  }

  /**
   * Runs `write` (which returns the events the snapshot covers). A failure is recorded and logged;
   * it is thrown again only when `rethrow` (an explicit `snapshot()`).
   */
  attempt(write: () => number, when: 'background' | 'close' | 'explicit'): void {
    this.scheduled = false;
    try {
      this.covered = write();
      this.since = 0;
      this.writtenAt = Date.now();
      this.consecutive = 0;
      this.lastError = null;
    } catch (err) {
      this.failures++;
      this.consecutive++;
      this.lastError = (err as Error)?.message ?? String(err);
      this.retryAt = Date.now() + Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** (this.consecutive - 1));
      if (when === 'explicit') throw err;
      this.logger.warn(
        { err, dir: this.dir, failures: this.failures },
        when === 'close'
          ? 'journal index snapshot failed on close; the next open scans the segments instead'
          : 'journal index snapshot failed; appends go on and it is retried later',
      );
    }
  }

  status(): SnapshotStatus {
    return {
      events: this.covered,
      writtenAt: this.writtenAt,
      failures: this.failures,
      lastError: this.lastError,
    };
  }
}
