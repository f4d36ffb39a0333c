/**
 * The journal on PostgreSQL against Emmett's PostgreSQL event store (`appendToStream` with an
 * expected version), on the same server in the same run. Each uses a schema of its own.
 */
import pg from 'pg';
import { CursorWorkerAction, coordinate } from '../../src/index.js';
import { PostgresJournal } from '../../src/journal/postgres/journal.js';
import { compareRates, concurrently, DEFAULT_PLAN, Latencies, type Workload } from '../measure.js';
import { importPeer } from '../peers/load.js';
import type { BenchResult } from '../report.js';
import { EVENT_TYPE, payload } from '../workload.js';

const PG_URL = process.env.CAUSEWAY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const STREAMS = 1000;

interface EmmettStore {
  readStream(stream: string): Promise<{ events: unknown[] }>;
  appendToStream(
    stream: string,
    events: { type: string; data: unknown }[],
    options?: { expectedStreamVersion?: bigint | string },
  ): Promise<{ nextExpectedStreamVersion: bigint }>;
  close(): Promise<void>;
}

/** A fresh database for one case, dropped after it. */
async function withDatabase<T>(name: string, fn: (url: string) => Promise<T>): Promise<T> {
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  const database = `causeway_bench_${name}_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  try {
    return await fn(url.href);
  } finally {
    // Emmett's pool ends its sessions in the background: forcing them off would fail its idle clients
    // with an error nobody listens to, so the drop waits for them first.
    for (let i = 0; i < 50; i++) {
      const { rows } = await admin.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
        [database],
      );
      if (rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

/** Our journal and Emmett's store, opened on one fresh database. */
async function withJournals<T>(
  name: string,
  fn: (journal: PostgresJournal, emmett: EmmettStore, url: string) => Promise<T>,
): Promise<T> {
  return withDatabase(name, async (url) => {
    const journal = await PostgresJournal.open(url, { schema: 'causeway_journal' });
    const { getPostgreSQLEventStore } = await importPeer<{
      getPostgreSQLEventStore: (url: string) => EmmettStore;
    }>('@event-driven-io/emmett-postgresql');
    const emmett = getPostgreSQLEventStore(url);
    try {
      return await fn(journal, emmett, url);
    } finally {
      await journal.close();
      await emmett.close();
    }
  });
}

/** Our journal and Emmett's store on one database; each caller appends to its own streams with their expected versions. */
async function withStores<T>(
  name: string,
  fn: (ours: (stream: number) => Promise<void>, theirs: (stream: number) => Promise<void>) => Promise<T>,
): Promise<T> {
  return withJournals(name, async (journal, emmett) => {
    const ourVersions = new Map<number, number>();
    const theirVersions = new Map<number, bigint>();
    let i = 0;
    const ours = async (stream: number) => {
      const known = ourVersions.get(stream);
      const r = await journal.append(
        coordinate(`order:${stream}`, 'shop'),
        { type: EVENT_TYPE, data: payload(i++) },
        { expectedVersion: known ?? 'no-stream' },
      );
      ourVersions.set(stream, r.streamVersion);
    };
    const theirs = async (stream: number) => {
      const known = theirVersions.get(stream);
      const r = await emmett.appendToStream(`order-${stream}`, [{ type: EVENT_TYPE, data: payload(i++) }], {
        expectedStreamVersion: known ?? 'STREAM_DOES_NOT_EXIST',
      });
      theirVersions.set(stream, r.nextExpectedStreamVersion);
    };
    return fn(ours, theirs);
  });
}

/** 16 concurrent callers over 1,000 streams, single-event appends with expected versions. */
export async function pgAppendC16(): Promise<BenchResult> {
  return withStores('c16', async (ours, theirs) => {
    const CALLERS = 16;
    const caller = (append: (stream: number) => Promise<void>) => {
      const next = Array.from({ length: CALLERS }, (_, c) => c);
      let turn = 0;
      return () => {
        const c = turn++ % CALLERS;
        const stream = next[c];
        next[c] = (stream + CALLERS) % STREAMS; // each caller keeps to its own streams: no conflicts
        return append(stream);
      };
    };
    const cmp = await compareRates(
      concurrently(CALLERS, caller(ours)),
      concurrently(CALLERS, caller(theirs)),
      {
        ...DEFAULT_PLAN,
        warmupMs: 1000,
      },
    );
    return {
      bench: 'journal.pg.append.c16',
      ...cmp,
      target: '>= 3x Emmett',
      met: cmp.ratio >= 3,
      baseline: 'Emmett PostgreSQL appendToStream, 16 callers',
    };
  });
}

/** One caller: latency of an append (ours includes sequencing) beside Emmett's. */
export async function pgAppendSingle(): Promise<BenchResult> {
  return withStores('single', async (ours, theirs) => {
    const measure = async (append: (stream: number) => Promise<void>) => {
      const lat = new Latencies();
      for (let i = 0; i < 300; i++) await append(i % STREAMS); // warm-up
      lat.reset();
      const end = performance.now() + 3000;
      for (let i = 0; performance.now() < end; i++) {
        const t = performance.now();
        await append(i % STREAMS);
        lat.add(performance.now() - t);
      }
      return { ...lat.summary(), ops_per_s: Math.round(lat.count / 3) };
    };
    const theirsFirst = await measure(theirs);
    const ourFigures = await measure(ours);
    return {
      bench: 'journal.pg.append.single',
      ops_per_s: ourFigures.ops_per_s,
      baseline_ops_per_s: theirsFirst.ops_per_s,
      ratio: Math.round((ourFigures.ops_per_s / theirsFirst.ops_per_s) * 100) / 100,
      p50_ms: ourFigures.p50_ms,
      p99_ms: ourFigures.p99_ms,
      baseline_p50_ms: theirsFirst.p50_ms,
      baseline_p99_ms: theirsFirst.p99_ms,
      target: 'p50 <= 2x Emmett',
      met: ourFigures.p50_ms <= 2 * theirsFirst.p50_ms,
      baseline: 'Emmett PostgreSQL appendToStream, one caller',
    };
  });
}

/** Batches of 100 events to one stream each, one caller: events/s beside Emmett's 100-event appends. */
export async function pgAppendBatch100(): Promise<BenchResult> {
  return withJournals('batch100', async (journal, emmett) => {
    let i = 0;
    const events = () => Array.from({ length: 100 }, () => ({ type: EVENT_TYPE, data: payload(i++) }));
    let ourStream = 0;
    let theirStream = 0;
    const ours: Workload = async (ms) => {
      const end = performance.now() + ms;
      let done = 0;
      while (performance.now() < end) {
        const c = coordinate(`batch:${ourStream++}`, 'shop');
        await journal.appendBatch(events().map((event) => ({ coordinate: c, event })));
        done += 100;
      }
      return done;
    };
    const theirs: Workload = async (ms) => {
      const end = performance.now() + ms;
      let done = 0;
      while (performance.now() < end) {
        await emmett.appendToStream(`batch-${theirStream++}`, events(), {
          expectedStreamVersion: 'STREAM_DOES_NOT_EXIST',
        });
        done += 100;
      }
      return done;
    };
    const cmp = await compareRates(ours, theirs, { ...DEFAULT_PLAN, warmupMs: 1000 });
    return {
      bench: 'journal.pg.append.batch100',
      ...cmp,
      target: 'report beside Emmett',
      met: true,
      baseline: 'Emmett PostgreSQL appendToStream with 100 events',
    };
  });
}

/**
 * Commit to sequenced: an event appended in the caller's transaction, from that transaction's
 * commit until its receipt (with its position) is known to another journal instance, which hears
 * of the commit over LISTEN. Unloaded, one at a time.
 */
export async function pgSequenceLag(): Promise<BenchResult> {
  return withJournals('lag', async (journal, _emmett, url) => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const writer = await PostgresJournal.open(pool, { schema: 'causeway_journal', pollIntervalMs: 60_000 });
    const lat = new Latencies();
    try {
      for (let i = 0; i < 700; i++) {
        const client = await pool.connect();
        await client.query('BEGIN');
        const pending = await writer.appendIn(client, coordinate(`lag:${i % 50}`, 'shop'), {
          type: EVENT_TYPE,
          data: payload(i),
        });
        await client.query('COMMIT');
        client.release();
        const committed = performance.now();
        await journal.sequenced([pending]);
        if (i >= 100) lat.add(performance.now() - committed);
      }
    } finally {
      await writer.close();
      await pool.end();
    }
    const { p50_ms, p99_ms } = lat.summary();
    return {
      bench: 'journal.pg.sequence_lag',
      p50_ms,
      p99_ms,
      target: 'p50 < 5 ms unloaded',
      met: p50_ms < 5,
      baseline: 'none (Emmett gives positions at commit and does not guard against late commits)',
    };
  });
}

/** Reading 1,000 events: a page of the global order (ours) beside Emmett reading a 1,000-event stream. */
export async function pgReadPage1k(): Promise<BenchResult> {
  return withJournals('read', async (journal, emmett) => {
    const c = coordinate('read:1', 'shop');
    for (let b = 0; b < 10; b++) {
      const events = Array.from({ length: 100 }, (_, i) => ({
        type: EVENT_TYPE,
        data: payload(b * 100 + i),
      }));
      await journal.appendBatch(events.map((event) => ({ coordinate: c, event })));
      await emmett.appendToStream('read-1', events);
    }
    const ours: Workload = async (ms) => {
      const end = performance.now() + ms;
      let done = 0;
      while (performance.now() < end) done += (await journal.readAll({ limit: 1000 })).events.length;
      return done;
    };
    const theirs: Workload = async (ms) => {
      const end = performance.now() + ms;
      let done = 0;
      while (performance.now() < end) done += (await emmett.readStream('read-1')).events.length;
      return done;
    };
    const cmp = await compareRates(ours, theirs, { ...DEFAULT_PLAN, warmupMs: 1000 });
    return {
      bench: 'journal.pg.read.page1k',
      ...cmp,
      target: 'report beside Emmett (events/s read)',
      met: true,
      baseline: 'Emmett PostgreSQL readStream of a 1,000-event stream',
    };
  });
}

/**
 * A durable cursor worker (checkpoint in the database after each batch of 256) reading 20,000
 * events, beside paging the same events with readAll (the ceiling: reading without a checkpoint).
 */
export async function pgCursorWorker(): Promise<BenchResult> {
  return withJournals('cursor', async (journal) => {
    const EVENTS = 20_000;
    for (let b = 0; b < EVENTS / 100; b++)
      await journal.appendBatch(
        Array.from({ length: 100 }, (_, i) => ({
          coordinate: coordinate(`cw:${(b * 100 + i) % 500}`, 'shop'),
          event: { type: EVENT_TYPE, data: payload(b * 100 + i) },
        })),
      );
    const started = performance.now();
    let seen = 0;
    const worker = journal.cursorWorker({}, { checkpointId: 'bench', batchSize: 256 }, (batch) => {
      seen += batch.length;
      return seen >= EVENTS ? CursorWorkerAction.stop : CursorWorkerAction.continue;
    });
    await worker.join();
    const workerMs = performance.now() - started;
    const readStarted = performance.now();
    for (let after = 0, done = false; !done; ) {
      const page = await journal.readAll({ after, limit: 256 });
      after = page.nextAfter;
      done = page.done;
    }
    const readMs = performance.now() - readStarted;
    const ops = Math.round(EVENTS / (workerMs / 1000));
    const base = Math.round(EVENTS / (readMs / 1000));
    return {
      bench: 'journal.pg.cursor_worker',
      ops_per_s: ops,
      baseline_ops_per_s: base,
      ratio: Math.round((ops / base) * 100) / 100,
      target: 'report (events/s)',
      met: true,
      baseline:
        'readAll pages of 256 over the same events (no checkpoint); Emmett has no like consumer measured here',
    };
  });
}
