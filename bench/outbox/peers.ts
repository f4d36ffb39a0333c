/**
 * The PostgreSQL job queues the outbox cases compare against: graphile-worker and pg-boss, each in
 * a schema of its own on the same server, fed by the same producers inside the caller's transaction
 * and handling jobs in the same process, as an application would run them.
 */
import { randomBytes } from 'node:crypto';
import { importPeer } from '../peers/load.js';
import { payload } from '../workload.js';

/** A peer queue the bench's producers enqueue to. */
export interface PeerQueue {
  readonly peer: string;
  /** Enqueues jobs `first`, `first + 1`, … inside the caller's transaction; returns their keys. */
  enqueue(tx: object, first: number, count: number): Promise<string[]>;
  /** When each job's handler ran, by key. */
  readonly handled: Map<string, number>;
  /** Drains nothing further, stops the workers and drops the peer's schema. */
  stop(): Promise<void>;
}

const job = (n: number) => ({ n, ...payload(n) });

/** The caller's transaction: a node-postgres client. */
type Client = { query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> };

interface GraphileWorker {
  run(options: Record<string, unknown>): Promise<{ stop(): Promise<void> }>;
  runMigrations(options: Record<string, unknown>): Promise<void>;
  Logger: new (factory: () => (level: string, message: string) => void) => unknown;
}

/** graphile-worker's settings in `schema`: its errors on stderr, the bench's signals its own. */
function graphileSettings(gw: GraphileWorker, url: string, schema: string) {
  const logger = new gw.Logger(() => (level, message) => {
    if (level === 'error') process.stderr.write(`graphile-worker: ${message}\n`);
  });
  return { connectionString: url, schema, logger, noHandleSignals: true };
}

/**
 * graphile-worker with 10 concurrent jobs and its LISTEN/NOTIFY wake-ups. Jobs go to no named
 * queue (its fastest mode, with no order between jobs): one `add_job` call per job, `add_jobs` for
 * a transaction's many.
 */
export async function startGraphileWorker(
  url: string,
  query: (sql: string) => Promise<void>,
  options: { migrateOnly?: boolean } = {},
): Promise<PeerQueue & { schema: string }> {
  const gw = await importPeer<GraphileWorker>('graphile-worker');
  const schema = `bench_gw_${randomBytes(4).toString('hex')}`;
  const handled = new Map<string, number>();
  const settings = graphileSettings(gw, url, schema);
  let runner: { stop(): Promise<void> } | null = null;
  if (options.migrateOnly) await gw.runMigrations(settings);
  else
    runner = await gw.run({
      ...settings,
      concurrency: 10,
      taskList: {
        e2e: async (p: { n: number }) => {
          handled.set(String(p.n), performance.now());
        },
      },
    });
  return {
    peer: 'graphile-worker 0.17.3',
    schema,
    handled,
    async enqueue(tx, first, count) {
      const jobs = Array.from({ length: count }, (_, i) => ({ identifier: 'e2e', payload: job(first + i) }));
      if (count === 1)
        await (tx as Client).query(`SELECT ${schema}.add_job('e2e', $1::json)`, [jobs[0].payload]);
      else
        await (tx as Client).query(
          `SELECT ${schema}.add_jobs(ARRAY(SELECT json_populate_recordset(NULL::${schema}.job_spec, $1::json)))`,
          [JSON.stringify(jobs)],
        );
      return jobs.map((j) => String(j.payload.n));
    },
    async stop() {
      await runner?.stop();
      await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

/**
 * Starts graphile-worker on a backlog already in `schema` and resolves when its handlers have run
 * `count` jobs: the peer of the drain case.
 */
export async function drainGraphileWorker(url: string, schema: string, count: number): Promise<void> {
  const gw = await importPeer<GraphileWorker>('graphile-worker');
  let left = count;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const runner = await gw.run({
    ...graphileSettings(gw, url, schema),
    concurrency: 10,
    taskList: {
      e2e: async () => {
        if (--left === 0) done();
      },
    },
  });
  await finished;
  await runner.stop();
}

interface PgBossJob {
  data: { n: number };
}
interface PgBoss {
  start(): Promise<unknown>;
  stop(options: Record<string, unknown>): Promise<void>;
  on(event: 'error', fn: (e: Error) => void): void;
  createQueue(name: string): Promise<void>;
  work(
    name: string,
    options: Record<string, unknown>,
    fn: (jobs: PgBossJob[]) => Promise<void>,
  ): Promise<string>;
  insert(jobs: { name: string; data: unknown }[], options: { db: unknown }): Promise<unknown>;
}

/** pg-boss with one worker fetching up to 500 jobs per poll at its shortest interval (0.5 s). */
export async function startPgBoss(url: string, query: (sql: string) => Promise<void>): Promise<PeerQueue> {
  const PgBossClass = (await importPeer<{ default: new (o: Record<string, unknown>) => PgBoss }>('pg-boss'))
    .default;
  const schema = `bench_boss_${randomBytes(4).toString('hex')}`;
  const boss = new PgBossClass({ connectionString: url, schema, max: 4, schedule: false });
  boss.on('error', (e) => process.stderr.write(`pg-boss: ${e.message}\n`));
  await boss.start();
  await boss.createQueue('e2e');
  const handled = new Map<string, number>();
  await boss.work('e2e', { batchSize: 500, pollingIntervalSeconds: 0.5 }, async (jobs) => {
    const at = performance.now();
    for (const j of jobs) handled.set(String(j.data.n), at);
  });
  return {
    peer: 'pg-boss 10.4.2',
    handled,
    async enqueue(tx, first, count) {
      const jobs = Array.from({ length: count }, (_, i) => ({ name: 'e2e', data: job(first + i) }));
      await boss.insert(jobs, {
        db: { executeSql: (text: string, values: unknown[]) => (tx as Client).query(text, values) },
      });
      return jobs.map((j) => String(j.data.n));
    },
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 10_000 });
      await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}
