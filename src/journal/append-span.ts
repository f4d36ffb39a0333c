import { inSpan, messagingSpan } from '../tracing.js';

/**
 * Runs an append of `items` in a PRODUCER span `send <scope>` when a traced request makes it; the
 * events then carry that span's `traceparent` in their metadata.
 */
export function inAppendSpan<T>(items: readonly { coordinate?: { scope?: unknown } }[], fn: () => T): T {
  const scope = Array.isArray(items) ? items[0]?.coordinate?.scope : undefined;
  const destination = typeof scope === 'string' ? scope : 'journal';
  return inSpan(
    `send ${destination}`,
    {
      kind: 'producer',
      when: 'active',
      attributes: messagingSpan('send', 'append', destination, items.length),
    },
    fn,
  );
}
