import { wholeNumberIn } from '../validation.js';
import type { OutboxConnection } from './dialects/dialect.js';
import type { Statements } from './dialects/statements.js';
import { num } from './runtime.js';
import type { PartitionState, PartitionStateOptions } from './types.js';

/** One queue's partitions: cursor, lease, retries and whether each is stuck. */
export async function partitionStates(
  conn: OutboxConnection,
  sql: Statements,
  queue: string,
  options: PartitionStateOptions = {},
): Promise<PartitionState[]> {
  const from = wholeNumberIn(options.from ?? 0, 'from', 0, 10_000, 'partitions');
  const limit = wholeNumberIn(options.limit ?? 1000, 'limit', 1, 10_000, 'partitions');
  const stuckAfterMs = wholeNumberIn(
    options.stuckAfterMs ?? 60_000,
    'stuckAfterMs',
    0,
    Number.MAX_SAFE_INTEGER,
    'partitions',
  );
  const ex = conn.executor;
  const now = num((await ex.query(sql.now)).rows[0]?.now);
  const { rows } = await ex.query(sql.partitionStates, [queue, from, limit]);
  return rows.map((r) => {
    const sequenced = num(r.next_seq) - 1;
    const acknowledged = num(r.acked_seq);
    const attempts = num(r.attempts);
    const oldest = [r.head_created, r.pending_created].filter((v) => v != null).map(Number);
    const oldestAgeMs = oldest.length === 0 ? 0 : Math.max(0, now - Math.min(...oldest));
    const leaseLeft = r.lease_owner == null || r.lease_left == null ? null : Math.max(0, num(r.lease_left));
    return {
      partition: num(r.part),
      sequenced,
      acknowledged,
      pending: num(r.pending),
      undelivered: Math.max(0, sequenced - acknowledged),
      leaseOwner: leaseLeft === null || leaseLeft === 0 ? null : String(r.lease_owner),
      leaseExpiresInMs: leaseLeft === 0 ? null : leaseLeft,
      attempts,
      retryInMs: r.retry_left == null ? null : Math.max(0, num(r.retry_left)),
      lastError: r.last_error == null ? null : String(r.last_error),
      oldestAgeMs,
      stuck:
        acknowledged > sequenced
          ? 'ahead'
          : attempts > 0
            ? 'retrying'
            : oldest.length > 0 && oldestAgeMs > stuckAfterMs
              ? 'waiting'
              : null,
    };
  });
}
