import { InvalidArgument } from '../../errors.js';
import type { RestartPolicy } from './types.js';

/** Validates a restart policy; throws {@link InvalidArgument}. */
export function validateRestartPolicy(policy: RestartPolicy): RestartPolicy {
  if (policy?.kind === 'once') return policy;
  if (policy?.kind === 'bounded') {
    const { maxRestarts, withinMs } = policy;
    if (!Number.isInteger(maxRestarts) || maxRestarts < 0)
      throw new InvalidArgument('maxRestarts must be a non-negative integer', { maxRestarts });
    if (!(withinMs > 0)) throw new InvalidArgument('withinMs must be positive', { withinMs });
    return policy;
  }
  throw new InvalidArgument('restart must be RestartPolicy.once() or RestartPolicy.bounded(...)', { policy });
}

/** Counts restarts against a policy: `once` in a lifetime, or `maxRestarts` per `withinMs` window. */
export class RestartBudget {
  /** Restarts granted so far, in total. */
  restarts = 0;
  private inWindow = 0;
  private windowStart = performance.now();

  constructor(private readonly policy: RestartPolicy) {}

  /** Takes one restart; false when the budget is spent. */
  take(): boolean {
    if (this.policy.kind === 'once') {
      if (this.restarts >= 1) return false;
    } else {
      const now = performance.now();
      if (now - this.windowStart > this.policy.withinMs) {
        this.windowStart = now;
        this.inWindow = 0;
      }
      if (this.inWindow >= this.policy.maxRestarts) return false;
      this.inWindow++;
    }
    this.restarts++;
    return true;
  }
}
