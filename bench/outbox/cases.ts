/**
 * Outbox cases, per database: end to end with one message per transaction, draining a backlog, and
 * end to end with 100 messages per transaction. Baselines run in the same process and database.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { leased, leasedBatch, Outbox, OutboxProfile, Result, type Tuning } from '../../src/index.js';
import { compareRates, Latencies, type RatePlan, round2 } from '../measure.js';
import type { BenchResult } from '../report.js';
import { EVENT_TYPE, payload } from '../workload.js';
import { type BenchDatabase, type BenchDialect, openBenchDatabase } from './databases.js';

const PRODUCERS = 4;
const PARTITIONS = 16;
const PLAN: RatePlan = { warmupMs: 1000, roundMs: 2000, rounds: 3 };
const DRAIN_MESSAGES = 100_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What an application writes beside each message: its own row, in the same transaction. */
const ordersTable = (db: BenchDatabase, prefix = db.prefix) =>
  db.query(`CREATE TABLE ${prefix}_orders (n integer NOT NULL, note varchar(50) NOT NULL)`);

/**
 * `PRODUCERS` loops, each committing transactions of `perTx` messages (plus an order row) for about
 * `ms`. Returns how many messages were committed; `committed` gets each id's commit time.
 */
function producers(
  db: BenchDatabase,
  outbox: Outbox,
  prefix: string,
  queue: string,
  perTx: number,
  committed?: Map<string, number>,
) {
  let n = 0;
  return async (ms: number) => {
    const until = performance.now() + ms;
    let done = 0;
    await Promise.all(
      Array.from({ length: PRODUCERS }, async () => {
        while (performance.now() < until) {
          const i = n;
          n += perTx;
          const batch = Array.from({ length: perTx }, (_, j) => ({
            type: EVENT_TYPE,
            key: `order-${(i + j) % 1000}`,
            payload: payload(i + j),
          }));
          const results = await db.transaction(async (tx) => {
            await insertOrder(tx, prefix, i);
            return outbox.enqueueBatch(tx, queue, batch);
          });
          const at = performance.now();
          if (committed) for (const r of results) committed.set(r.id, at);
          done += perTx;
          // Each transaction stands for a request: the event loop turns between them, as in a service.
          await nextTurn();
        }
      }),
    );
    return done;
  };
}

async function insertOrder(tx: object, prefix: string, n: number): Promise<void> {
  const sql = `INSERT INTO ${prefix}_orders (n, note) VALUES (${n}, 'placed')`;
  const t = tx as { query?: (s: string) => Promise<unknown>; exec?: (s: string) => unknown };
  if (typeof t.exec === 'function') t.exec(sql);
  else await t.query!(sql);
}

/** Waits until `delivered()` reaches `target` (or gives up after `timeoutMs`). */
async function until(delivered: () => number, target: number, timeoutMs = 60_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (delivered() < target && performance.now() < end) await sleep(1);
}

async function endToEnd(dialect: BenchDialect, perTx: number): Promise<BenchResult> {
  const db = await openBenchDatabase(dialect);
  const alonePrefix = `${db.prefix}a`;
  const outboxes: Outbox[] = [];
  try {
    await ordersTable(db);
    await ordersTable(db, alonePrefix);
    const committed = new Map<string, number>();
    const deliveredAt = new Map<string, number>();
    const consumer = await Outbox.start(db.url, {
      prefix: db.prefix,
      queues: {
        e2e: {
          partitions: PARTITIONS,
          delivery: leasedBatch(async (ms) => {
            const at = performance.now();
            for (const m of ms) deliveredAt.set(m.id, at);
            return Result.ok();
          }),
        },
      },
    });
    outboxes.push(consumer);
    const alone = await Outbox.producer(db.url, {
      prefix: alonePrefix,
      queues: { e2e: { partitions: PARTITIONS } },
    });
    outboxes.push(alone);
    // The subject produces for the round, then waits for the outbox to deliver what it produced.
    const produce = producers(db, consumer, db.prefix, 'e2e', perTx, committed);
    const subject = async (ms: number) => {
      const before = deliveredAt.size;
      const n = await produce(ms);
      await until(() => deliveredAt.size, before + n);
      return deliveredAt.size - before;
    };
    const latencies = new Latencies();
    const rates = await compareRates(subject, producers(db, alone, alonePrefix, 'e2e', perTx), {
      ...PLAN,
      onWarm: () => committed.clear(),
    });
    for (const [id, at] of committed) {
      const d = deliveredAt.get(id);
      if (d !== undefined) latencies.add(d - at);
    }
    const lat = latencies.summary();
    const keepsUp = rates.ratio >= 0.9;
    const name = `outbox.${dialect}.${perTx === 1 ? 'e2e' : 'batch_e2e'}`;
    if (perTx === 1)
      return {
        bench: name,
        ...rates,
        ...lat,
        target: dialect === 'pg' ? '>= 0.9x producing alone, p50 < 10 ms' : '>= 0.9x producing alone',
        met: keepsUp && (dialect !== 'pg' || lat.p50_ms < 10),
      };
    return {
      bench: name,
      ...rates,
      ...lat,
      target: dialect === 'pg' ? '>= 20,000 msg/s' : 'reported',
      met: dialect === 'pg' ? rates.ops_per_s >= 20_000 : true,
    };
  } finally {
    for (const o of outboxes) await o.stop();
    await db.close();
  }
}

export const e2e = (dialect: BenchDialect) => () => endToEnd(dialect, 1);
export const batchE2e = (dialect: BenchDialect) => () => endToEnd(dialect, 100);

/** Delivers a backlog of 100,000 messages; the baseline drains a plain jobs table the usual way. */
export const drain = (dialect: BenchDialect) => async (): Promise<BenchResult> => {
  const db = await openBenchDatabase(dialect);
  const outboxes: Outbox[] = [];
  try {
    const tuning: Partial<Tuning> = OutboxProfile.highThroughput();
    const producer = await Outbox.producer(db.url, {
      prefix: db.prefix,
      queues: { drain: { partitions: PARTITIONS } },
    });
    outboxes.push(producer);
    for (let i = 0; i < DRAIN_MESSAGES; i += 1000)
      await db.transaction((tx) =>
        producer.enqueueBatch(
          tx,
          'drain',
          Array.from({ length: 1000 }, (_, j) => ({
            type: EVENT_TYPE,
            key: `order-${(i + j) % 1000}`,
            payload: payload(i + j),
          })),
        ),
      );
    let delivered = 0;
    const t0 = performance.now();
    const consumer = await Outbox.start(db.url, {
      prefix: db.prefix,
      tuning,
      queues: {
        drain: {
          partitions: PARTITIONS,
          delivery: leased(async () => {
            delivered++;
            return Result.ok();
          }),
        },
      },
    });
    outboxes.push(consumer);
    await until(() => delivered, DRAIN_MESSAGES, 300_000);
    const ms = performance.now() - t0;
    const rate = (DRAIN_MESSAGES / ms) * 1000;
    const base = await drainJobsTable(db, dialect);
    return {
      bench: `outbox.${dialect}.drain`,
      ops_per_s: Math.round(rate),
      baseline_ops_per_s: Math.round(base),
      ratio: round2(rate / base),
      ms: Math.round(ms),
      target: dialect === 'pg' ? '>= 20,000 msg/s' : 'reported',
      met: dialect === 'pg' ? rate >= 20_000 : true,
    };
  } finally {
    for (const o of outboxes) await o.stop();
    await db.close();
  }
};

/**
 * The baseline: the hand-written job table an application would otherwise use. Four workers take
 * 100 rows at a time (`FOR UPDATE SKIP LOCKED` where the database has it), handle and delete them:
 * no per-key order, no sequencing, no retries. Returns messages per second.
 */
async function drainJobsTable(db: BenchDatabase, dialect: BenchDialect): Promise<number> {
  const t = `${db.prefix}_jobs`;
  const id = dialect === 'pg' ? 'bigserial' : dialect === 'mysql' ? 'bigint AUTO_INCREMENT' : 'integer';
  await db.query(`CREATE TABLE ${t} (id ${id} PRIMARY KEY, payload text NOT NULL)`);
  const row = `('${JSON.stringify(payload(1))}')`;
  for (let i = 0; i < DRAIN_MESSAGES; i += 1000)
    await db.query(`INSERT INTO ${t} (payload) VALUES ${new Array(1000).fill(row).join(', ')}`);
  const lock = dialect === 'sqlite' ? '' : ' FOR UPDATE SKIP LOCKED';
  const t0 = performance.now();
  let handled = 0;
  await Promise.all(
    Array.from({ length: dialect === 'sqlite' ? 1 : 4 }, async () => {
      for (;;) {
        const n = await db
          .transaction(async (tx) => {
            const rows = (await run(tx, `SELECT id, payload FROM ${t} ORDER BY id LIMIT 100${lock}`)) as {
              id: number;
              payload: string;
            }[];
            for (const r of rows) JSON.parse(r.payload);
            if (rows.length > 0)
              await run(tx, `DELETE FROM ${t} WHERE id IN (${rows.map((r) => r.id).join(',')})`);
            return rows.length;
          })
          // InnoDB reports lock waits between such workers as deadlocks; a job queue retries them.
          .catch((e: { code?: string }) => (e.code === 'ER_LOCK_DEADLOCK' ? -1 : Promise.reject(e)));
        if (n === -1) continue;
        if (n === 0) return;
        handled += n;
      }
    }),
  );
  return (handled / (performance.now() - t0)) * 1000;
}

/** One statement on a caller connection of any of the three drivers; rows for a SELECT. */
async function run(tx: object, sql: string): Promise<unknown[]> {
  const t = tx as Record<string, (s: string) => unknown>;
  if (typeof t.pragma === 'function') {
    const stmt = t.prepare(sql) as { reader: boolean; all(): unknown[]; run(): unknown };
    if (stmt.reader) return stmt.all();
    stmt.run();
    return [];
  }
  const r = (await t.query(sql)) as { rows?: unknown[] } | [unknown[]];
  return Array.isArray(r) ? (Array.isArray(r[0]) ? r[0] : []) : (r.rows ?? []);
}
