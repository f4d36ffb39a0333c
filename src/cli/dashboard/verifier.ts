/**
 * The dashboard's "verify" button: one verification of the journal's hash chains at a time, its
 * progress and result kept for the page to poll.
 */
import type { VerifyResult } from '../../journal/index.js';
import type { Logger } from '../../logger.js';
import type { SourceJournal } from '../journal-source.js';

export interface VerifyState {
  readonly running: boolean;
  readonly checked: number;
  readonly total: number;
  readonly startedAt: number | null;
  readonly result: VerifyResult | null;
  readonly error: string | null;
}

export class Verifier {
  private state: VerifyState = {
    running: false,
    checked: 0,
    total: 0,
    startedAt: null,
    result: null,
    error: null,
  };

  constructor(
    private readonly journal: SourceJournal,
    private readonly logger: Logger,
  ) {}

  current(): VerifyState {
    return this.state;
  }

  /** Starts a verification unless one is running; returns the state either way. */
  start(): VerifyState {
    if (this.state.running) return this.state;
    this.state = { running: true, checked: 0, total: 0, startedAt: Date.now(), result: null, error: null };
    this.journal
      .verify({ onProgress: (checked, total) => (this.state = { ...this.state, checked, total }) })
      .then(
        (result) => {
          this.state = { ...this.state, running: false, result };
          if (!result.ok)
            this.logger.error({ firstBreak: result.firstBreak }, 'dashboard verify found a broken chain');
        },
        (err: unknown) => {
          this.state = { ...this.state, running: false, error: (err as Error)?.message ?? String(err) };
          this.logger.error({ err }, 'dashboard verify failed');
        },
      );
    return this.state;
  }
}
