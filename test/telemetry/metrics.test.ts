import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  coordinate,
  type Journal,
  leased,
  Outbox,
  open,
  openPostgresJournal,
  openReadOnly,
  type QueueStats,
  Result,
  type Sink,
  type SinkRelayHandle,
  type SinkRelayStats,
} from '../../src/index.js';
import { type MetricsOutbox, type MetricsRelay, prometheusMetrics } from '../../src/telemetry/index.js';
import { tempDir, track } from '../helpers.js';
import { journalSchemas } from '../journal/postgres/schemas.js';
import { waitFor } from '../outbox/conformance.js';
import { ALL_KINDS, PG_URL, requireOrSkip } from '../outbox/databases.js';
import { type Exposition, fillAndSettle, find, histogram, parseExposition, value } from './fixtures.js';

// ---------------------------------------------------------------- helpers

/** A sink that keeps nothing and acknowledges everything. */
const memorySink = (name = 'mem:x'): Sink => ({ name, publish: async () => {}, close: async () => {} });

/** A sink whose broker refuses every publish. */
const refusingSink = (name: string): Sink => ({
  name,
  publish: async () => {
    throw new Error('broker down');
  },
  close: async () => {},
});

/** Wraps a source so the test sees exactly what the scrape read, and how often. */
function recordingOutbox(outbox: Outbox): MetricsOutbox & { reads: QueueStats[][] } {
  const reads: QueueStats[][] = [];
  return {
    prefix: outbox.prefix,
    reads,
    stats: async () => {
      const s = await outbox.stats();
      reads.push(s);
      return s;
    },
  };
}

function recordingRelay(relay: SinkRelayHandle): MetricsRelay & { reads: SinkRelayStats[] } {
  const reads: SinkRelayStats[] = [];
  return {
    name: relay.name,
    reads,
    stats: async () => {
      const s = await relay.stats();
      reads.push(s);
      return s;
    },
  };
}

const relays: SinkRelayHandle[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.stopAndJoin().catch(() => {});
});

function expectRelay(e: Exposition, labels: Record<string, string>, s: SinkRelayStats): void {
  expect(value(e, 'causeway_sink_lag', labels)).toBe(s.lag);
  expect(value(e, 'causeway_sink_position', labels)).toBe(s.position);
  expect(value(e, 'causeway_sink_published_total', labels)).toBe(s.published);
  expect(value(e, 'causeway_sink_retries_total', labels)).toBe(s.retries);
  expect(value(e, 'causeway_sink_failing', labels)).toBe(s.failing ? 1 : 0);
}

// ---------------------------------------------------------------- the embedded journal

describe('prometheusMetrics of an embedded journal and its relays', () => {
  it('reports position, watermarks, events, streams, checkpoint lag and relay progress as read', async () => {
    const dir = tempDir();
    const journal = track(open(dir));
    for (let i = 0; i < 10; i++)
      journal.append(coordinate(`acct:${i % 4}`, 'bank'), { type: 'Deposited', data: { i } });
    const cursor = journal.cursor({}, { checkpointId: 'billing' });
    cursor.poll(3);
    cursor.commit();

    const relay = journal.sinkTo(memorySink(), { checkpointId: 'to-broker' });
    relays.push(relay);
    await waitFor(async () => (await relay.stats()).position === 10, 10_000, 'relay to catch up');
    await relay.stopAndJoin();
    // A relay that fails: retried after a minute, so it stays failing with one retry meanwhile.
    const failing = journal.sinkTo(refusingSink('mem:down'), {
      checkpointId: 'to-down-broker',
      retryBackoff: { initialMs: 60_000, maxMs: 60_000 },
    });
    relays.push(failing);
    await waitFor(async () => (await failing.stats()).retries === 1, 10_000, 'a failed publish');
    for (let i = 0; i < 4; i++)
      journal.append(coordinate('order:1', 'shop'), { type: 'Placed', data: { i } });

    const recorded = [recordingRelay(relay), recordingRelay(failing)];
    const m = prometheusMetrics({ journal, relays: recorded });
    expect(m.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const e = parseExposition(await m.metrics());

    const marks = journal.watermarks();
    const stats = journal.stats();
    const j = { journal: 'journal' };
    expect(e.types.get('causeway_journal_position')).toBe('gauge');
    expect(value(e, 'causeway_journal_position', j)).toBe(marks.visible);
    expect(marks.visible).toBe(14);
    for (const mark of ['accepted', 'written', 'durable', 'visible', 'applied'] as const)
      expect(value(e, 'causeway_journal_watermark', { ...j, mark })).toBe(marks[mark]);
    expect(value(e, 'causeway_journal_events', j)).toBe(stats.events);
    expect(value(e, 'causeway_journal_streams', j)).toBe(stats.streams);
    expect(stats.streams).toBe(5);

    // Consumer lag: visible minus each saved checkpoint's position.
    const checkpoints = journal.checkpoints();
    expect(checkpoints.map((c) => c.id).sort()).toEqual(['billing', 'to-broker']);
    for (const c of checkpoints)
      expect(value(e, 'causeway_journal_consumer_lag', { ...j, consumer: c.id })).toBe(
        marks.visible - c.position,
      );
    expect(value(e, 'causeway_journal_consumer_lag', { consumer: 'billing' })).toBe(11);
    expect(value(e, 'causeway_journal_consumer_lag', { consumer: 'to-broker' })).toBe(4);

    // Relays: exactly what their stats() said during the scrape, read once each.
    expect(recorded.map((r) => r.reads.length)).toEqual([1, 1]);
    expect(e.types.get('causeway_sink_published_total')).toBe('counter');
    const [ok, down] = recorded.map((r) => r.reads[0]);
    expectRelay(e, { sink: 'mem:x', relay: 'sink:to-broker' }, ok);
    expect(ok).toMatchObject({ lag: 4, position: 10, published: 10, failing: false });
    expectRelay(e, { sink: 'mem:down', relay: 'sink:to-down-broker' }, down);
    expect(down).toMatchObject({ lag: 14, position: 0, published: 0, retries: 1, failing: true });

    // No outbox given: no outbox metrics.
    expect(e.samples.some((s) => s.name.startsWith('causeway_outbox_'))).toBe(false);
    expect(e.types.has('causeway_outbox_depth')).toBe(false);
  });

  it('catches a read-only journal up with its writer on each scrape', async () => {
    const dir = tempDir();
    const writer = track(open(dir));
    writer.append(coordinate('a', 's'), { type: 'A', data: {} });
    const reader = track(openReadOnly(dir)) as Journal;
    const m = prometheusMetrics({ journal: { journal: reader, name: 'orders' } });
    expect(
      value(parseExposition(await m.metrics()), 'causeway_journal_position', { journal: 'orders' }),
    ).toBe(1);
    for (let i = 0; i < 5; i++) writer.append(coordinate('a', 's'), { type: 'A', data: {} });
    const e = parseExposition(await m.metrics());
    expect(value(e, 'causeway_journal_position', { journal: 'orders' })).toBe(6);
    expect(value(e, 'causeway_journal_events', { journal: 'orders' })).toBe(reader.stats().events);
    // Nothing checkpointed yet: the family is there, with no series.
    expect(e.types.get('causeway_journal_consumer_lag')).toBe('gauge');
    expect(find(e, 'causeway_journal_consumer_lag')).toEqual([]);
  });

  it('uses the registry and prefix given, refuses a name already taken, and unregisters', async () => {
    const registry = new Registry();
    const journal = track(open(tempDir()));
    const m = prometheusMetrics({ registry, prefix: 'app_', journal });
    expect(m.registry).toBe(registry);
    expect(value(parseExposition(await registry.metrics()), 'app_journal_position')).toBe(0);
    expect(() => prometheusMetrics({ registry, prefix: 'app_', journal })).toThrow(
      /INVALID_ARGUMENT|cannot register metric app_journal_position/,
    );
    // The refused call left nothing behind; the first one's metrics are still whole.
    expect(registry.getMetricsAsArray()).toHaveLength(5);
    m.unregister();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    expect(() => prometheusMetrics({ prefix: '9bad', journal })).toThrow(/metrics prefix/);
    expect(() => prometheusMetrics({ journal, bogus: 1 } as never)).toThrow(/unknown metrics option/);
    expect(() => prometheusMetrics({ journal: [journal, journal] })).toThrow(/two metrics journals/);
  });
});

// ---------------------------------------------------------------- the outbox, on every database

for (const kind of ALL_KINDS) {
  const available = await requireOrSkip(kind);

  describe.skipIf(!available)(`prometheusMetrics of an outbox on ${kind.dialect}`, () => {
    it('reports depth, lag, dead letters, counters and the handler histogram as stats() reads them', async () => {
      const db = await kind.create();
      const outbox = await Outbox.start(db.url, {
        prefix: db.prefix,
        queues: {
          // First attempts are retried, Bad messages rejected, the rest acknowledged.
          mail: {
            partitions: 2,
            delivery: leased(async (msg) => {
              if (msg.type === 'Bad') return Result.reject('bad message');
              if (msg.attempts === 0) return Result.retry({ delayMs: 10 });
              return Result.ok();
            }),
          },
          // No delivery here: its messages stay, sequenced, not acknowledged.
          archive: { partitions: 1 },
        },
        tuning: { pollIntervalMs: 50 },
      });
      try {
        await fillAndSettle(db, outbox);

        const recorded = recordingOutbox(outbox);
        const m = prometheusMetrics({ outbox: recorded });
        const e = parseExposition(await m.metrics());
        expect(recorded.reads).toHaveLength(1); // one read for every metric of the scrape
        const byQueue = Object.fromEntries(recorded.reads[0].map((q) => [q.queue, q]));
        expect(Object.keys(byQueue).sort()).toEqual(['archive', 'mail']);

        for (const q of recorded.reads[0]) {
          const labels = { outbox: db.prefix, queue: q.queue };
          expect(value(e, 'causeway_outbox_depth', labels)).toBe(q.depth);
          expect(value(e, 'causeway_outbox_pending', labels)).toBe(q.pending);
          expect(value(e, 'causeway_outbox_lag', labels)).toBe(q.lag);
          expect(value(e, 'causeway_outbox_oldest_age_seconds', labels)).toBe(q.oldestAgeMs / 1000);
          expect(value(e, 'causeway_outbox_dead_letters', labels)).toBe(q.deadLetters);
          expect(value(e, 'causeway_outbox_retrying_partitions', labels)).toBe(q.retryingPartitions);
          expect(value(e, 'causeway_outbox_cursors_ahead', labels)).toBe(q.cursorsAhead);
          expect(value(e, 'causeway_outbox_delivered_total', labels)).toBe(q.delivered);
          expect(value(e, 'causeway_outbox_retries_total', labels)).toBe(q.retries);
          expect(value(e, 'causeway_outbox_rejected_total', labels)).toBe(q.rejected);
          expect(value(e, 'causeway_outbox_leases_lost_total', labels)).toBe(q.leasesLost);
          expect(value(e, 'causeway_outbox_throughput_per_second', labels)).toBe(q.throughputPerSec);
          const h = histogram(e, 'causeway_outbox_handler_duration_seconds', labels);
          expect(h.count).toBe(q.handlerDuration.count);
          expect(h.sum).toBeCloseTo(q.handlerDuration.sum, 12);
          expect(h.buckets).toEqual([
            ...q.handlerDuration.buckets.map((b) => ({ le: String(b.le), count: b.count })),
            { le: '+Inf', count: q.handlerDuration.count },
          ]);
        }
        expect(e.types.get('causeway_outbox_depth')).toBe('gauge');
        expect(e.types.get('causeway_outbox_delivered_total')).toBe('counter');
        // What happened, so the comparisons above compared something.
        expect(byQueue.mail).toMatchObject({
          depth: 0,
          deadLetters: 2,
          delivered: 3,
          retries: 3,
          rejected: 2,
        });
        expect(byQueue.mail.handlerDuration.count).toBe(8);
        expect(byQueue.archive).toMatchObject({ depth: 3, lag: 3, pending: 0, delivered: 0 });
        expect(byQueue.archive.oldestAgeMs).toBeGreaterThanOrEqual(0);

        // A second scrape reads again.
        await m.metrics();
        expect(recorded.reads).toHaveLength(2);
      } finally {
        await outbox.stop();
        await db.close();
      }
    });
  });
}

// ---------------------------------------------------------------- the journal in PostgreSQL

const { available: pgAvailable, newSchema } = await journalSchemas();

describe.skipIf(!pgAvailable)('prometheusMetrics of a journal in PostgreSQL', () => {
  it('reads consumer lag from the checkpoints table, and relay progress', async () => {
    const schema = newSchema('metrics');
    const journal = await openPostgresJournal(PG_URL, { schema });
    try {
      for (let i = 0; i < 6; i++)
        await journal.append(coordinate(`a:${i % 2}`, 's'), { type: 'A', data: { i } });
      const relay = journal.sinkTo(memorySink('mem:pg'), { checkpointId: 'pg-relay' });
      relays.push(relay);
      await waitFor(async () => (await relay.stats()).position === 6, 10_000, 'relay to catch up');
      await relay.stopAndJoin();
      for (let i = 0; i < 3; i++) await journal.append(coordinate('b', 's'), { type: 'B', data: { i } });

      const recorded = recordingRelay(relay);
      const m = prometheusMetrics({
        journal: { journal, name: schema },
        relays: [recorded],
      });
      const e = parseExposition(await m.metrics());
      const marks = await journal.watermarks();
      const stats = await journal.stats();
      const j = { journal: schema };
      expect(value(e, 'causeway_journal_position', j)).toBe(9);
      for (const mark of ['accepted', 'written', 'durable', 'visible', 'applied'] as const)
        expect(value(e, 'causeway_journal_watermark', { ...j, mark })).toBe(marks[mark]);
      expect(value(e, 'causeway_journal_events', j)).toBe(stats.events);
      expect(value(e, 'causeway_journal_streams', j)).toBe(stats.streams);
      expect(value(e, 'causeway_journal_consumer_lag', { ...j, consumer: 'pg-relay' })).toBe(3);
      expectRelay(e, { sink: 'mem:pg', relay: 'sink:pg-relay' }, recorded.reads[0]);
      expect(recorded.reads[0]).toMatchObject({ lag: 3, position: 6, published: 6 });
    } finally {
      await journal.close();
    }
  });
});
