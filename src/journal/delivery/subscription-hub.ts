import { checkOptions, keys } from '../../validation.js';
import { validateRegion } from '../region.js';
import type { Region } from '../types.js';
import type { JournalFeed } from './feed.js';
import { LossySubscription } from './lossy-subscription.js';
import type { LossySubscriptionOptions } from './types.js';

const SUBSCRIPTION_OPTIONS = keys('capacity');

const PAGE = 1024;
const DEFAULT_CAPACITY = 1024;

/**
 * Hands newly visible events to a journal's lossy subscriptions. The journal only notes that there is
 * something new; the events are read once, after the append has returned, and offered to every
 * subscription, so a slow subscriber never slows the writer.
 */
export class SubscriptionHub {
  private readonly subscriptions = new Set<LossySubscription>();
  private delivered = 0;
  private scheduled = false;
  private stopListening: (() => void) | null = null;

  constructor(private readonly journal: JournalFeed) {}

  subscribe(region: Region, options: LossySubscriptionOptions = {}): LossySubscription {
    checkOptions(options, SUBSCRIPTION_OPTIONS, 'subscription option');
    const subscription = new LossySubscription(
      validateRegion(region),
      options.capacity ?? DEFAULT_CAPACITY,
      (s) => this.unsubscribe(s),
    );
    if (this.subscriptions.size === 0) {
      this.delivered = this.journal.watermarks().visible;
      this.stopListening = this.journal.onCommit(() => this.schedule());
    }
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** The journal closed: every subscription ends after its buffered events. */
  closeAll(): void {
    for (const s of [...this.subscriptions]) s.close();
  }

  private unsubscribe(s: LossySubscription): void {
    this.subscriptions.delete(s);
    if (this.subscriptions.size === 0) {
      this.stopListening?.();
      this.stopListening = null;
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.dispatch();
    });
  }

  private dispatch(): void {
    const subs = [...this.subscriptions].filter((s) => s.lagged === null);
    // One subscriber: read only its region. Several: read everything once and let each filter.
    const region = subs.length === 1 ? subs[0].region : undefined;
    let visible = this.journal.watermarks().visible;
    if (subs.length === 0) this.delivered = visible;
    while (this.delivered < visible && subs.length > 0) {
      let page: ReturnType<JournalFeed['readAll']>;
      try {
        page = this.journal.readAll({ after: this.delivered, limit: PAGE, region });
      } catch (err) {
        for (const s of subs) s.fail(err); // a closed journal ends them; damage is reported
        return;
      }
      for (const event of page.events) for (const s of subs) s.offer(event);
      this.delivered = page.nextAfter;
      visible = this.journal.watermarks().visible;
    }
  }
}
