/** What the dashboard tests show: an outbox with dead letters, served; everything closed after each test. */
import { startDashboardServer } from '../../src/cli/dashboard/server.js';
import { leased, type Message, Outbox, Result } from '../../src/index.js';
import { type DatabaseKind, sqliteKind } from '../outbox/databases.js';
import { eventually } from '../sinks/brokers.js';

/** Closed, last first, by {@link closeAll} (each test file's `afterEach`). */
export const closers: (() => Promise<void>)[] = [];

export async function closeAll(): Promise<void> {
  for (const close of closers.splice(0).reverse()) await close();
}

/** An outbox whose `mail` queue dead-letters `Bad` messages and delivers the rest; `fixed` heals it. */
export async function outboxWithDeadLetters(kind: DatabaseKind = sqliteKind) {
  const delivered: Message[] = [];
  const healed = { fixed: false };
  const db = await kind.create();
  closers.push(() => db.close());
  const outbox = await Outbox.start(db.url, {
    prefix: db.prefix,
    queues: {
      mail: {
        partitions: 2,
        delivery: leased(async (m) => {
          if (m.type === 'Bad' && !healed.fixed) return Result.reject('bad address');
          delivered.push(m);
          return Result.ok();
        }),
      },
      archive: { partitions: 1 },
    },
    tuning: { pollIntervalMs: 50 },
  });
  closers.push(() => outbox.stop());
  await outbox.enqueueAndCommit(
    'mail',
    [0, 1, 2, 3].map((i) => ({ type: i < 3 ? 'Bad' : 'Good', key: `k${i}`, payload: { i } })),
  );
  await eventually(async () => (await outbox.stats())[1]?.deadLetters === 3 && delivered.length === 1);
  return { outbox, delivered, healed };
}

/** A dashboard server and a way to call its API (with the token unless told otherwise). */
export async function serve(...args: Parameters<typeof startDashboardServer>) {
  const server = await startDashboardServer(...args);
  closers.push(() => server.close());
  const base = server.url.replace(/\/\?token=.*/, '');
  const call = async (method: string, route: string, body?: unknown, token: string | null = server.token) => {
    const res = await fetch(`${base}/api/${route}`, {
      method,
      headers: {
        ...(token !== null && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> & unknown[] };
  };
  return { server, call, base };
}
