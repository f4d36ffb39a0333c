const WINDOW_SECONDS = 10;

/** This process's delivery counters for one queue, with a 10-second throughput window. */
export class QueueCounters {
  delivered = 0;
  retries = 0;
  rejected = 0;
  leasesLost = 0;
  private readonly buckets = new Array<number>(WINDOW_SECONDS).fill(0);
  private bucketSecond = Math.floor(Date.now() / 1000);

  acknowledged(n: number): void {
    this.delivered += n;
    this.roll();
    this.buckets[this.bucketSecond % WINDOW_SECONDS] += n;
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
