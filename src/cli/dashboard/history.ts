/**
 * Queue figures over time for the dashboard's charts: the outbox's stats sampled on an interval and
 * kept for a while (an hour by default), in memory.
 */
import type { Logger } from '../../logger.js';
import type { Outbox } from '../../outbox/index.js';

/** One sample: when, and each queue's figures then. */
export interface QueueSample {
  readonly at: number;
  readonly queues: readonly {
    readonly queue: string;
    readonly depth: number;
    readonly lag: number;
    readonly oldestAgeMs: number;
    /** Messages acknowledged per second by all processes since the sample before; null in the first. */
    readonly throughputPerSec: number | null;
    readonly acknowledgedPosition: number;
    readonly deadLetters: number;
  }[];
}

export interface QueueHistoryOptions {
  /** Default 10,000 ms. */
  readonly intervalMs?: number;
  /** How long samples are kept. Default one hour. */
  readonly keepMs?: number;
}

export class QueueHistory {
  private readonly kept: QueueSample[] = [];
  /** A sample still running when the next is due: the next is skipped, so samples stay in order. */
  private sampling = false;
  private readonly timer: NodeJS.Timeout;
  readonly intervalMs: number;
  private readonly keepMs: number;

  constructor(
    private readonly outbox: Outbox,
    private readonly logger: Logger,
    options: QueueHistoryOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 10_000;
    this.keepMs = options.keepMs ?? 3_600_000;
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref(); // the server keeps the process alive, not the history
    void this.sample();
  }

  /** The samples kept, oldest first. */
  samples(): readonly QueueSample[] {
    return this.kept;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const at = Date.now();
      const before = this.kept.at(-1);
      const queues = (await this.outbox.stats()).map((q) => {
        const previous = before?.queues.find((p) => p.queue === q.queue);
        return {
          queue: q.queue,
          depth: q.depth,
          lag: q.lag,
          oldestAgeMs: q.oldestAgeMs,
          throughputPerSec:
            before && previous
              ? Math.max(0, q.acknowledgedPosition - previous.acknowledgedPosition) /
                ((at - before.at) / 1000)
              : null,
          acknowledgedPosition: q.acknowledgedPosition,
          deadLetters: q.deadLetters,
        };
      });
      this.kept.push({ at, queues });
      while (this.kept.length > 0 && this.kept[0].at < at - this.keepMs) this.kept.shift();
    } catch (err) {
      // A gap in the chart; the next sample tries again.
      this.logger.warn({ err }, 'dashboard could not sample the queues');
    } finally {
      this.sampling = false;
    }
  }
}
