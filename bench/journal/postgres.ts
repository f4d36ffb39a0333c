/**
 * The journal on PostgreSQL against Emmett's PostgreSQL event store (`appendToStream` with an
 * expected version), on the same server in the same run. Each uses a schema of its own.
 */
import pg from 'pg';
import { coordinate } from '../../src/index.js';
import { PostgresJournal } from '../../src/journal/postgres/journal.js';
import { compareRates, concurrently, DEFAULT_PLAN, Latencies } from '../measure.js';
import { importPeer } from '../peers/load.js';
import type { BenchResult } from '../report.js';
import { EVENT_TYPE, payload } from '../workload.js';

const PG_URL = process.env.CAUSEWAY_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const STREAMS = 1000;

interface EmmettStore {
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
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

/** Our journal and Emmett's store on one database; each caller appends to its own streams with their expected versions. */
async function withStores<T>(
  name: string,
  fn: (ours: (stream: number) => Promise<void>, theirs: (stream: number) => Promise<void>) => Promise<T>,
): Promise<T> {
  return withDatabase(name, async (url) => {
    const journal = await PostgresJournal.open(url, { schema: 'causeway_journal' });
    const { getPostgreSQLEventStore } = await importPeer<{
      getPostgreSQLEventStore: (url: string) => EmmettStore;
    }>('@event-driven-io/emmett-postgresql');
    const emmett = getPostgreSQLEventStore(url);
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
    try {
      return await fn(ours, theirs);
    } finally {
      await journal.close();
      await emmett.close();
    }
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
