import { ReconnectingListener } from '../sql/index.js';
import { parseWakePayload } from './enqueue.js';
import type { Runtime } from './runtime.js';

/**
 * PostgreSQL: a LISTEN session that carries other processes' enqueues and sequencing to this
 * process's workers at once. A lost session is opened again (the reconciler finds whatever was
 * announced meanwhile).
 */
export class WakeupListener {
  private readonly listener: ReconnectingListener;

  constructor(
    private readonly rt: Runtime,
    channel: string,
    /** Wakes every worker (after a gap in listening, or a wake-up for all partitions). */
    everywhere: () => void,
  ) {
    this.listener = new ReconnectingListener(
      (onMessage, onError) => rt.conn.listen!(channel, (p) => onMessage(p, channel), onError),
      {
        message: (p) => this.deliver(p, everywhere),
        resumed: everywhere,
        logger: rt.logger,
        label: 'outbox',
      },
    );
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }

  private deliver(payload: string, everywhere: () => void): void {
    const wake = parseWakePayload(payload);
    if (!wake) return;
    if (wake.kind === 'p' && wake.from === this.rt.owner) return; // woken in-process already
    if (wake.ids === null) everywhere();
    else if (wake.kind === 's') this.rt.hints.add(wake.ids);
    else for (const id of wake.ids) this.rt.processors.get(id)?.wake();
  }
}
