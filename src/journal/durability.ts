import fs from 'node:fs';
import { IoError } from '../errors.js';
import type { ActiveSegment } from './storage/segment.js';
import type { WatermarkTracker } from './watermarks.js';

/**
 * Makes written data durable. Synchronous callers fsync on the spot; asynchronous callers join a
 * group: while one fsync runs in the background, every append that asks for durability waits for the
 * next one, which then covers them all. A timer fsyncs dirty data on the configured cadence.
 */
export class Durability {
  private inFlight: Promise<void> | null = null;
  private wanted = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Descriptors of rotated segments whose close waits for a background fsync to finish. */
  private retired: ActiveSegment[] = [];
  private failure: Error | null = null;

  constructor(
    private readonly marks: WatermarkTracker,
    private readonly active: () => ActiveSegment,
    intervalMs: number,
  ) {
    if (intervalMs > 0) {
      this.timer = setInterval(() => {
        if (this.marks.get('durable') < this.marks.get('written'))
          this.request(this.marks.get('written')).catch(() => {});
      }, intervalMs);
      this.timer.unref();
    }
  }

  /** fsync now, on this thread. */
  syncNow(): void {
    const written = this.marks.get('written');
    this.active().syncSync();
    this.marks.advance('durable', written);
  }

  /** Resolves once everything up to `position` is durable, sharing fsyncs with other callers. */
  request(position: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.marks.get('durable') >= position) return Promise.resolve();
    this.wanted = Math.max(this.wanted, position);
    if (!this.inFlight) this.inFlight = this.run();
    return this.marks.waitFor('durable', position);
  }

  /** The segment was rotated: it was fsynced synchronously; close it once no background fsync uses it. */
  retire(segment: ActiveSegment): void {
    if (this.inFlight) this.retired.push(segment);
    else segment.close();
  }

  private async run(): Promise<void> {
    // Let the producers of this tick write before the shared fsync starts.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.wanted > this.marks.get('durable')) {
      const covered = this.marks.get('written');
      const segment = this.active();
      try {
        await new Promise<void>((resolve, reject) =>
          fs.fdatasync(segment.fd, (err) => (err ? reject(err) : resolve())),
        );
      } catch (err) {
        this.failure = new IoError('fsync', segment.file, err);
        this.marks.rejectAll(this.failure);
        break;
      }
      this.marks.advance('durable', covered);
    }
    this.inFlight = null;
    for (const s of this.retired.splice(0)) s.close();
  }

  /** Waits for a running background fsync, stops the timer. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.inFlight) await this.inFlight;
  }

  stopSync(): void {
    if (this.timer) clearInterval(this.timer);
  }

  get error(): Error | null {
    return this.failure;
  }
}
