import type pg from 'pg';
import type { Logger } from '../logger.js';

const FIRST_RETRY_MS = 100;
const LAST_RETRY_MS = 5000;

/** Opens a listening session; resolves with the function that ends it. */
export type OpenListening = (
  onMessage: (payload: string, channel: string) => void,
  onError: (err: unknown) => void,
) => Promise<() => Promise<void>>;

/** What a {@link ReconnectingListener} tells its owner. */
export interface ListenerHooks {
  message(payload: string, channel: string): void;
  /** Listening (again): whatever was announced while not listening was missed. */
  resumed(): void;
  readonly logger: Logger;
  /** Names the listener in log lines ("outbox", "journal"). */
  readonly label: string;
}

/**
 * A LISTEN session that comes back: a lost one is opened again after a growing pause, each loss
 * and recovery is logged, and every (re)start tells the owner to look for what it missed.
 */
export class ReconnectingListener {
  private unlisten: (() => Promise<void>) | null = null;
  private retry: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly open: OpenListening,
    private readonly hooks: ListenerHooks,
  ) {}

  async start(): Promise<void> {
    try {
      const unlisten = await this.open(
        (payload, channel) => this.hooks.message(payload, channel),
        (e) => this.lost(e),
      );
      if (this.stopped) return void (await unlisten());
      this.unlisten = unlisten;
      if (this.failures > 0)
        this.hooks.logger.info({ after: this.failures }, `${this.hooks.label} LISTEN connection restored`);
      this.failures = 0;
      this.hooks.resumed();
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

  private lost(err: unknown): void {
    if (this.stopped) return;
    const old = this.unlisten;
    this.unlisten = null;
    void old?.();
    if (this.retry !== undefined) return; // one failure can be reported twice; a retry is due already
    const delayMs = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failures++);
    this.hooks.logger.warn(
      { err, retryInMs: delayMs },
      `${this.hooks.label} LISTEN connection lost; reconnecting`,
    );
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.start();
    }, delayMs);
  }
}

/**
 * Listens on `channels` in a session of its own, opened with `pool`'s settings (a LISTEN must stay
 * on one session for as long as it listens).
 */
export function pgListening(pool: pg.Pool, channels: readonly string[]): OpenListening {
  return async (onMessage, onError) => {
    const client = new (pool as pg.Pool & { Client: typeof pg.Client }).Client(pool.options);
    client.on('notification', (n) => onMessage(n.payload ?? '', n.channel));
    client.on('error', onError);
    try {
      await client.connect();
      for (const channel of channels) await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    return async () => {
      client.removeAllListeners('notification');
      await client.end().catch(() => {});
    };
  };
}
