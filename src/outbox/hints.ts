import { Notifier } from '../worker/index.js';

/** How long an unconfirmed hint is retried before the reconciler's poll is left to find the work. */
const HINT_TTL_MS = 1000;
const FIRST_RETRY_MS = 2;
const MAX_RETRY_MS = 10;

interface Waiting {
  due: number;
  delay: number;
  readonly until: number;
}

/**
 * Partitions that may have unsequenced messages, shared by this process's sequencers. A hint can
 * arrive before the enqueuing transaction commits (nothing tells a MySQL or SQLite caller's commit
 * apart), so where commits are not announced an empty look is retried with growing delays for a
 * short while.
 */
export class SequencerHints {
  readonly notifier = new Notifier();
  private readonly ready = new Set<number>();
  private readonly waiting = new Map<number, Waiting>();

  constructor(private readonly retryUnconfirmed: boolean) {}

  /** New messages may be in these partitions. */
  add(ids: Iterable<number>): void {
    for (const id of ids) {
      this.waiting.delete(id);
      this.ready.add(id);
    }
    this.notifier.wake();
  }

  /** Up to `limit` partitions to sequence now (each given to one caller). */
  take(limit: number): number[] {
    const now = Date.now();
    for (const [id, w] of this.waiting)
      if (w.due <= now) {
        w.due = Number.POSITIVE_INFINITY; // until retry() reschedules it
        this.ready.add(id);
      }
    const out: number[] = [];
    for (const id of this.ready) {
      if (out.length === limit) break;
      this.ready.delete(id);
      out.push(id);
    }
    return out;
  }

  /** Messages were sequenced; `more` when the partition may hold further ones. */
  sequenced(id: number, more: boolean): void {
    this.waiting.delete(id);
    if (more) this.ready.add(id);
  }

  /** Nothing was found, or another sequencer held the partition: look again shortly. */
  retry(id: number, force = false): void {
    if (!this.retryUnconfirmed && !force) {
      this.waiting.delete(id);
      return;
    }
    const now = Date.now();
    const w = this.waiting.get(id);
    if (!w)
      this.waiting.set(id, {
        due: now + FIRST_RETRY_MS,
        delay: FIRST_RETRY_MS * 2,
        until: now + HINT_TTL_MS,
      });
    else if (now > w.until) this.waiting.delete(id);
    else {
      w.due = now + w.delay;
      w.delay = Math.min(w.delay * 2, MAX_RETRY_MS);
    }
  }

  get hasReady(): boolean {
    return this.ready.size > 0;
  }

  /** Milliseconds until the next retry is due, or null when none waits. */
  nextRetryIn(): number | null {
    let due = Number.POSITIVE_INFINITY;
    for (const w of this.waiting.values()) due = Math.min(due, w.due);
    return Number.isFinite(due) ? Math.max(1, due - Date.now()) : null;
  }
}
