import type { OutboxConnection } from './dialects/dialect.js';
import type { Statements } from './dialects/statements.js';
import { num } from './runtime.js';
import type { Counters } from './stats.js';
import type { QueueStats } from './types.js';

/** Every registered queue's depth, lag and age (from the database) with this process's counters. */
export async function queueStats(
  conn: OutboxConnection,
  sql: Statements,
  counters: Counters,
): Promise<QueueStats[]> {
  const ex = conn.executor;
  const now = num((await ex.query(sql.now)).rows[0]?.now);
  const byQueue = async (statement: string) => {
    const m = new Map<string, Record<string, unknown>>();
    for (const r of (await ex.query(statement)).rows) m.set(String(r.queue), r);
    return m;
  };
  const pending = await byQueue(sql.pendingByQueue);
  const undelivered = await byQueue(sql.undeliveredByQueue);
  const dead = await byQueue(sql.countDeadLetters(''));
  return (await ex.query(sql.selectQueues)).rows.map((q) => {
    const name = String(q.name);
    const p = pending.get(name);
    const u = undelivered.get(name);
    const oldest = [p?.oldest, u?.oldest].filter((v) => v != null).map(Number);
    const c = counters.of(name);
    return {
      queue: name,
      partitions: Number(q.partitions),
      pending: num(p?.n),
      lag: num(u?.n),
      depth: num(p?.n) + num(u?.n),
      oldestAgeMs: oldest.length === 0 ? 0 : Math.max(0, now - Math.min(...oldest)),
      retryingPartitions: num(u?.retrying),
      cursorsAhead: num(u?.ahead),
      acknowledgedPosition: num(u?.acked),
      deadLetters: num(dead.get(name)?.n),
      delivered: c.delivered,
      retries: c.retries,
      rejected: c.rejected,
      leasesLost: c.leasesLost,
      throughputPerSec: c.throughput(),
      handlerDuration: c.handlerDurations(),
    };
  });
}
