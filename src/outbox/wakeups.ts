import { parseWakePayload } from './enqueue.js';
import type { Runtime } from './runtime.js';

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5000;

/**
 * PostgreSQL: a LISTEN session that carries other processes' enqueues and sequencing to this
 * process's workers at once. A lost session is opened again after a growing pause (the reconciler
 * finds whatever was announced meanwhile), and each loss and recovery is logged.
 */
export class WakeupListener {
  private unlisten: (() => Promise<void>) | null = null;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly rt: Runtime,
    private readonly channel: string,
    /** Wakes every worker (after a gap in listening, or a wake-up for all partitions). */
    private readonly everywhere: () => void,
  ) {}

  async start(): Promise<void> {
    const { rt } = this;
    try {
      const unlisten = await rt.conn.listen!(
        this.channel,
        (p) => this.deliver(p),
        (e) => this.lost(e),
      );
      if (this.stopped) return void (await unlisten());
      this.unlisten = unlisten;
      if (this.failures > 0) rt.logger.info({ after: this.failures }, 'outbox LISTEN connection restored');
      this.failures = 0;
      this.everywhere(); // whatever was announced while not listening
    } catch (e) {
      this.lost(e);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.unlisten?.();
    this.unlisten = null;
  }

  private deliver(payload: string): void {
    const wake = parseWakePayload(payload);
    if (!wake) return;
    if (wake.kind === 'p' && wake.from === this.rt.owner) return; // woken in-process already
    if (wake.ids === null) this.everywhere();
    else if (wake.kind === 's') this.rt.hints.add(wake.ids);
    else for (const id of wake.ids) this.rt.processors.get(id)?.wake();
  }

  private lost(err: unknown): void {
    if (this.stopped) return;
    const old = this.unlisten;
    this.unlisten = null;
    void old?.();
    if (this.retry !== undefined) return; // one failure can be reported twice; a retry is due already
    const delayMs = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failures++);
    this.rt.logger.warn({ err, retryInMs: delayMs }, 'outbox LISTEN connection lost; reconnecting');
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.start();
    }, delayMs);
  }
}
