import type { DurationHistogram } from './types.js';

const WINDOW_SECONDS = 10;

/** Upper bounds (seconds) of the handler duration histogram's buckets. */
export const HANDLER_SECONDS_BUCKETS = [
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** This process's delivery counters for one queue, with a 10-second throughput window. */
export class QueueCounters {
  delivered = 0;
  retries = 0;
  rejected = 0;
  leasesLost = 0;
  private readonly handlerCounts = new Array<number>(HANDLER_SECONDS_BUCKETS.length).fill(0);
  private handlerSum = 0;
  private handlerCount = 0;
  private readonly buckets = new Array<number>(WINDOW_SECONDS).fill(0);
  private bucketSecond = Math.floor(Date.now() / 1000);

  acknowledged(n: number): void {
    this.delivered += n;
    this.roll();
    this.buckets[this.bucketSecond % WINDOW_SECONDS] += n;
  }

  /** One handler call (a message, or a batch) took `ms`. */
  handled(ms: number): void {
    const seconds = ms / 1000;
    this.handlerSum += seconds;
    this.handlerCount++;
    const i = HANDLER_SECONDS_BUCKETS.findIndex((le) => seconds <= le);
    if (i >= 0) this.handlerCounts[i]++;
  }

  /** Handler durations since the process started, in Prometheus's cumulative form. */
  handlerDurations(): DurationHistogram {
    let running = 0;
    return {
      buckets: HANDLER_SECONDS_BUCKETS.map((le, i) => {
        running += this.handlerCounts[i];
        return { le, count: running };
      }),
      sum: this.handlerSum,
      count: this.handlerCount,
    };
  }

  /** Acknowledged messages per second over the last 10 seconds. */
  throughput(): number {
    this.roll();
    return this.buckets.reduce((a, b) => a + b, 0) / WINDOW_SECONDS;
  }

  private roll(): void {
    const second = Math.floor(Date.now() / 1000);
    for (let s = this.bucketSecond + 1; s <= second && s <= this.bucketSecond + WINDOW_SECONDS; s++)
      this.buckets[s % WINDOW_SECONDS] = 0;
    this.bucketSecond = Math.max(this.bucketSecond, second);
  }
}

/** Counters of every queue this process touches. */
export class Counters {
  private readonly queues = new Map<string, QueueCounters>();

  of(queue: string): QueueCounters {
    let c = this.queues.get(queue);
    if (!c) {
      c = new QueueCounters();
      this.queues.set(queue, c);
    }
    return c;
  }
}
