import type { EventRecord } from './codec.js';
import { computeEventHash } from './event-hash.js';
import { ZERO_HASH } from './hash.js';
import type { ChainBreak } from './types.js';

/** Why an event does not follow the ones before it. */
export interface Misfit {
  readonly reason: ChainBreak['reason'];
  readonly message: string;
}

/**
 * Follows a journal's events in position order, whatever keeps them, and finds the first that does
 * not belong: positions dense from 1, stream versions dense from 0, each `prevHash` the hash of the
 * stream's event before it, and each hash that of the event itself.
 */
export class ChainChecker {
  private readonly heads = new Map<string, { version: number; hash: Buffer }>();
  /** Events checked and found in place. */
  checked = 0;

  /** Streams seen so far. */
  get streams(): number {
    return this.heads.size;
  }

  /** Null when `r` follows (it is then counted), else what is wrong with it. */
  check(r: EventRecord): Misfit | null {
    const head = this.heads.get(r.entity);
    if (r.position !== this.checked + 1)
      return { reason: 'sequence', message: `position ${r.position} where ${this.checked + 1} was due` };
    if (r.streamVersion !== (head ? head.version + 1 : 0))
      return {
        reason: 'sequence',
        message: `stream version ${r.streamVersion} follows ${head?.version ?? 'none'}`,
      };
    if (!r.prevHash.equals(head?.hash ?? ZERO_HASH))
      return {
        reason: 'prev-hash-mismatch',
        message: "prevHash is not the hash of the stream's previous event",
      };
    if (!computeEventHash(r).equals(r.hash))
      return { reason: 'hash-mismatch', message: 'the stored hash does not match the event' };
    this.heads.set(r.entity, { version: r.streamVersion, hash: r.hash });
    this.checked++;
    return null;
  }
}
