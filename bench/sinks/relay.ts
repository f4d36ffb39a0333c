/**
 * A journal relayed to a broker through a sink (`journal.sinkTo`), beside the same client library
 * publishing the same messages (bodies, headers, subjects or routing keys) the way a careful
 * hand-written relay would: a page of 256 events read, all of it sent at once, every ack awaited
 * before the next page. Rounds alternate (ABBA), each on a fresh NATS stream or RabbitMQ exchange
 * and bound queue, deleted after it. Latency is from `journal.append` returning to the broker's
 * ack of that event, with events appended one at a time at a steady rate while the relay runs.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager, type StoredMsg } from '@nats-io/jetstream';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { Connection, type ReturnedMessage } from 'rabbitmq-client';
import {
  coordinate,
  type Journal,
  open,
  type Sink,
  type SinkRecord,
  type StoredEvent,
} from '../../src/index.js';
import { connectNatsSink, connectRabbitMqSink } from '../../src/sinks/index.js';
import { collectGarbage, Latencies, median, round2 } from '../measure.js';
import { type BenchResult, progress } from '../report.js';
import { benchDir, EVENT_TYPE, payload, removeDir } from '../workload.js';

const NATS_URL = process.env.CAUSEWAY_NATS_URL ?? '127.0.0.1:4222';
const RABBITMQ_URL = process.env.CAUSEWAY_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Events relayed per round. */
const EVENTS = 20_000;
/** The relay's batch, and the hand-written relay's page. */
const BATCH = 256;
/** Measured rounds of each (after one warm-up round of each). */
const ROUNDS = 6;
const ENTITIES = 8;
const SCOPE = 'shop';
/** The latency run: events appended one at a time, one every `LATENCY_EVERY_MS`; the first ones warm up. */
const LATENCY_EVENTS = 1200;
const LATENCY_WARMUP = 200;
const LATENCY_EVERY_MS = 4;
/** A round that takes longer has failed: the relay retries for ever, the bench does not. */
const ROUND_TIMEOUT_MS = 60_000;
const TARGET = 0.8;

/** A broker destination made for one round: the sink onto it, the bare client onto it, and what it holds. */
interface Destination {
  sink(): Promise<Sink>;
  bare(): Promise<BarePublisher>;
  /** How many messages the destination holds, and the first one as text (to compare both sides). */
  inspect(): Promise<{ count: number; first: string }>;
  dispose(): Promise<void>;
}

/** The hand-written relay's side: one page sent at once, resolved when the broker acked all of it. */
interface BarePublisher {
  publishBatch(events: readonly StoredEvent[]): Promise<void>;
  close(): Promise<void>;
}

interface Broker {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** The client's description, for the result. */
  readonly baseline: string;
  open(): Promise<{ destination(tag: string): Promise<Destination>; close(): Promise<void> }>;
}

const utf8 = new TextEncoder();

/** The `causeway-*` headers of an event, written out by hand as a relay of one's own would. */
function eventHeaders(e: StoredEvent): Record<string, string> {
  const h: Record<string, string> = {
    'causeway-event-id': e.id,
    'causeway-type': e.type,
    'causeway-entity': e.entity,
    'causeway-scope': e.scope,
    'causeway-position': String(e.position),
    'causeway-stream-version': String(e.streamVersion),
    'causeway-correlation-id': e.correlationId,
    'causeway-hash': e.hash,
  };
  if (e.causationId !== null) h['causeway-causation-id'] = e.causationId;
  return h;
}

const sorted = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const nats: Broker = {
  name: 'nats',
  url: NATS_URL,
  port: portOf(NATS_URL, 4222),
  baseline: `@nats-io/jetstream publish (msgID, headers), ${BATCH} at once, all acks awaited per batch`,
  async open() {
    const admin = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(admin);
    return {
      close: () => admin.close(),
      async destination(tag) {
        const stream = `CWBENCH_${tag}`;
        const prefix = `cwbench_${tag}`;
        // File storage, default settings: what the sink creates when the stream is missing.
        await jsm.streams.add({ name: stream, subjects: [`${prefix}.*.*`] });
        return {
          sink: () =>
            connectNatsSink({
              servers: NATS_URL,
              stream,
              subject: `${prefix}.{aggregateType}.{type}`,
              createStream: false,
            }),
          async bare() {
            const nc = await connect({ servers: NATS_URL });
            const js = jetstream(nc);
            return {
              async publishBatch(events) {
                const acks = events.map((e) => {
                  const h = natsHeaders();
                  for (const [k, v] of Object.entries(eventHeaders(e))) h.set(k, v);
                  h.set('Content-Type', 'application/json');
                  return js.publish(`${prefix}.${e.scope}.${e.type}`, utf8.encode(JSON.stringify(e.data)), {
                    msgID: e.id,
                    headers: h,
                  });
                });
                await Promise.all(acks);
              },
              close: () => nc.close(),
            };
          },
          async inspect() {
            const info = await jsm.streams.info(stream);
            const m: StoredMsg | null = await jsm.streams.getMessage(stream, { seq: info.state.first_seq });
            if (!m) throw new Error(`stream ${stream} is empty`);
            const h: Record<string, string> = {};
            for (const k of m.header.keys()) h[k] = m.header.get(k);
            return {
              count: info.state.messages,
              first: JSON.stringify({
                subject: m.subject.slice(prefix.length),
                headers: sorted(h),
                body: Buffer.from(m.data).toString(),
              }),
            };
          },
          dispose: async () => void (await jsm.streams.delete(stream)),
        };
      },
    };
  },
};

const rabbitmq: Broker = {
  name: 'rabbitmq',
  url: RABBITMQ_URL,
  port: portOf(RABBITMQ_URL, 5672),
  baseline: `rabbitmq-client publisher (confirm, mandatory, persistent), ${BATCH} at once, all confirms awaited per batch`,
  async open() {
    const admin = new Connection(RABBITMQ_URL);
    await admin.onConnect(10_000);
    return {
      close: () => admin.close(),
      async destination(tag) {
        const exchange = `cwbench_${tag}`;
        const queue = `cwbench_${tag}`;
        await admin.exchangeDeclare({ exchange, type: 'topic', durable: true });
        await admin.queueDeclare({ queue, durable: true });
        await admin.queueBind({ queue, exchange, routingKey: '#' });
        return {
          sink: () =>
            connectRabbitMqSink({
              url: RABBITMQ_URL,
              exchange,
              routingKey: 'causeway.{aggregateType}.{type}',
            }),
          async bare() {
            const rabbit = new Connection(RABBITMQ_URL);
            await rabbit.onConnect(10_000);
            const returned = new Set<string>();
            const pub = rabbit.createPublisher({
              confirm: true,
              maxAttempts: 1,
              exchanges: [{ exchange, type: 'topic', durable: true }],
              onReturn: (msg: ReturnedMessage) => {
                if (msg.messageId) returned.add(msg.messageId);
              },
            });
            return {
              async publishBatch(events) {
                const acks = events.map((e) =>
                  pub.send(
                    {
                      exchange,
                      routingKey: `causeway.${e.scope}.${e.type}`,
                      mandatory: true,
                      durable: true,
                      messageId: e.id,
                      type: e.type,
                      contentType: 'application/json',
                      timestamp: Math.floor(e.timestamp / 1000),
                      headers: eventHeaders(e),
                    },
                    Buffer.from(JSON.stringify(e.data)),
                  ),
                );
                await Promise.all(acks);
                // A returned message was confirmed, but no queue has it: a relay must not count it.
                for (const e of events)
                  if (returned.delete(e.id)) throw new Error(`message ${e.id} was returned: no queue bound`);
              },
              async close() {
                await pub.close();
                await rabbit.close();
              },
            };
          },
          async inspect() {
            const { messageCount } = await admin.queueDeclare({ queue, passive: true });
            const ch = await admin.acquire();
            try {
              const m = await ch.basicGet({ queue, noAck: true });
              if (!m) throw new Error(`queue ${queue} is empty`);
              return {
                count: messageCount,
                first: JSON.stringify({
                  routingKey: m.routingKey,
                  durable: m.durable,
                  messageId: m.messageId,
                  type: m.type,
                  contentType: m.contentType,
                  timestamp: m.timestamp,
                  headers: sorted(m.headers ?? {}),
                  // The client parses a JSON body; the text it was is what both sides sent.
                  body: Buffer.isBuffer(m.body) ? m.body.toString() : JSON.stringify(m.body),
                }),
              };
            } finally {
              await ch.close();
            }
          },
          async dispose() {
            await admin.queueDelete({ queue });
            await admin.exchangeDelete({ exchange });
          },
        };
      },
    };
  },
};

export const natsRelay = (): Promise<BenchResult> => relayCase('sink.nats.relay', nats);
export const rabbitMqRelay = (): Promise<BenchResult> => relayCase('sink.rabbitmq.relay', rabbitmq);

/** The sink, telling `acked` of each batch the broker acknowledged (after the sink resolved it). */
function observed(sink: Sink, acked: (records: readonly SinkRecord[]) => void): Sink {
  // No resumeAfter: the sinks here are not mirrors, and the relay tells a mirror by it.
  return {
    name: sink.name,
    publish: async (records, signal) => {
      await sink.publish(records, signal);
      acked(records);
    },
    close: () => sink.close(),
  };
}

function portOf(url: string, fallback: number): number {
  const port = /:(\d+)(?:\/|$)/.exec(url)?.[1];
  return port === undefined ? fallback : Number(port);
}

function hostOf(url: string): string {
  return (
    url
      .replace(/^\w+:\/\//, '')
      .replace(/^[^@/]*@/, '')
      .split(/[:/]/)[0] || '127.0.0.1'
  );
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 1000 });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** Rejects after `ms` unless `work` settles first. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  const ac = new AbortController();
  const timeout = sleep(ms, undefined, { signal: ac.signal }).then(() => {
    throw new Error(`${what} took longer than ${ms} ms`);
  });
  timeout.catch(() => {});
  try {
    return await Promise.race([work, timeout]);
  } finally {
    ac.abort();
  }
}

function preappended(): Journal {
  const journal = open(benchDir('sink-relay'));
  for (let b = 0; b < EVENTS / 100; b++)
    journal.appendBatch(
      Array.from({ length: 100 }, (_, k) => {
        const i = b * 100 + k;
        return {
          coordinate: coordinate(`order:${i % ENTITIES}`, SCOPE),
          event: { type: EVENT_TYPE, data: payload(i) },
        };
      }),
    );
  return journal;
}

async function relayCase(bench: string, broker: Broker): Promise<BenchResult> {
  const target = `>= ${TARGET}x bare client`;
  const host = hostOf(broker.url);
  if (!(await reachable(host, broker.port))) {
    progress(`${bench}: ${broker.name} is not reachable at ${host}:${broker.port}; skipped`);
    return { bench, target, met: false, skipped: `${broker.name} not reachable at ${host}:${broker.port}` };
  }
  const admin = await broker.open();
  const journal = preappended();
  let rounds = 0;
  const tag = () => `${process.pid}_${rounds++}`;
  const samples = new Set<string>();

  /** A round on a fresh destination: what it left is checked, then it is deleted, whatever happened. */
  const onFresh = async (side: string, round: (destination: Destination, id: string) => Promise<number>) => {
    const id = tag();
    const destination = await admin.destination(id);
    try {
      const rate = await round(destination, id);
      const { count, first } = await destination.inspect();
      if (count !== EVENTS) throw new Error(`${side} round left ${count} messages, not ${EVENTS}`);
      samples.add(first);
      return rate;
    } finally {
      await destination.dispose();
    }
  };

  const causewayRound = () =>
    onFresh('relay', async (destination, id) => {
      const sink = await destination.sink();
      let reached!: (at: number) => void;
      const done = new Promise<number>((resolve) => {
        reached = resolve;
      });
      const watched = observed(sink, (records) => {
        if (records[records.length - 1].position! >= EVENTS) reached(performance.now());
      });
      collectGarbage();
      const start = performance.now();
      const relay = journal.sinkTo(watched, { checkpointId: `bench-${id}`, batchSize: BATCH });
      const stopped = relay.join().then(() => {
        throw new Error('the relay stopped before publishing every event');
      });
      let end: number;
      try {
        end = await within(ROUND_TIMEOUT_MS, `${bench} relay round`, Promise.race([done, stopped]));
      } finally {
        await relay.stopAndJoin().catch(() => {});
        await sink.close();
      }
      const stats = await relay.stats();
      if (stats.position !== EVENTS || stats.published !== EVENTS || stats.retries !== 0)
        throw new Error(`relay round: ${JSON.stringify(stats)}`);
      return EVENTS / ((end - start) / 1000);
    });

  const bareRound = () =>
    onFresh('bare', async (destination) => {
      const bare = await destination.bare();
      let sent = 0;
      let ms: number;
      try {
        collectGarbage();
        const start = performance.now();
        await within(
          ROUND_TIMEOUT_MS,
          `${bench} bare round`,
          (async () => {
            for (let after = 0; ; ) {
              const page = journal.readAll({ after, limit: BATCH });
              if (page.events.length > 0) await bare.publishBatch(page.events);
              sent += page.events.length;
              if (page.done) break;
              after = page.nextAfter;
            }
          })(),
        );
        ms = performance.now() - start;
      } finally {
        await bare.close();
      }
      if (sent !== EVENTS) throw new Error(`bare round read ${sent} events`);
      return EVENTS / (ms / 1000);
    });

  try {
    await bareRound(); // warm-up of each
    await causewayRound();
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      if (r % 2 === 0) {
        theirs.push(await bareRound());
        ours.push(await causewayRound());
      } else {
        ours.push(await causewayRound());
        theirs.push(await bareRound());
      }
    }
    if (samples.size !== 1)
      throw new Error(
        `the relay and the bare client published different messages: ${[...samples].join(' | ')}`,
      );
    const latency = await latencies(broker, admin, tag);
    const ops = median(ours);
    const base = median(theirs);
    const ratios = ours.map((o, i) => o / theirs[i]);
    return {
      bench,
      ops_per_s: Math.round(ops),
      baseline_ops_per_s: Math.round(base),
      ratio: round2(ops / base),
      ratio_range: [round2(Math.min(...ratios)), round2(Math.max(...ratios))],
      p50_ms: latency.ours.p50_ms,
      p99_ms: latency.ours.p99_ms,
      baseline_p50_ms: latency.theirs.p50_ms,
      baseline_p99_ms: latency.theirs.p99_ms,
      target,
      met: ops / base >= TARGET,
      events: EVENTS,
      batch: BATCH,
      baseline: broker.baseline,
      latency: `append returned -> broker ack, ${LATENCY_EVENTS - LATENCY_WARMUP} events at ${1000 / LATENCY_EVERY_MS}/s; baseline: the bare client publishing each event right after its append`,
    };
  } finally {
    const dir = journal.dir;
    journal.close();
    removeDir(dir);
    await admin.close();
  }
}

/**
 * Append to ack, one event at a time at a steady rate, on a fresh empty journal: through a running
 * relay, and through the bare client publishing each event as soon as it is appended (the floor).
 */
async function latencies(
  broker: Broker,
  admin: { destination(tag: string): Promise<Destination> },
  tag: () => string,
): Promise<{ ours: { p50_ms: number; p99_ms: number }; theirs: { p50_ms: number; p99_ms: number } }> {
  const steady = async (journal: Journal, appended: (position: number, at: number) => void) => {
    let next = performance.now();
    for (let i = 0; i < LATENCY_EVENTS; i++) {
      const receipt = journal.append(coordinate(`order:${i % ENTITIES}`, SCOPE), {
        type: EVENT_TYPE,
        data: payload(i),
      });
      appended(receipt.position, performance.now());
      next += LATENCY_EVERY_MS;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
  };
  const measured = (position: number) => position > LATENCY_WARMUP;

  // Through the relay: the wrapped sink notes when each position is acked.
  const ours = new Latencies();
  {
    const journal = open(benchDir('sink-latency'));
    const destination = await admin.destination(tag());
    const sink = await destination.sink();
    const appendedAt = new Map<number, number>();
    let last = 0;
    let reached!: () => void;
    const done = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const watched = observed(sink, (records) => {
      const now = performance.now();
      for (const r of records) {
        const at = appendedAt.get(r.position!);
        if (at !== undefined && measured(r.position!)) ours.add(now - at);
      }
      last = records[records.length - 1].position!;
      if (last >= LATENCY_EVENTS) reached();
    });
    const relay = journal.sinkTo(watched, { checkpointId: 'latency', batchSize: BATCH });
    try {
      await steady(journal, (position, at) => appendedAt.set(position, at));
      await within(ROUND_TIMEOUT_MS, `${broker.name} latency run`, done);
    } finally {
      await relay.stopAndJoin().catch(() => {});
      await sink.close();
      await destination.dispose();
      const dir = journal.dir;
      journal.close();
      removeDir(dir);
    }
    if (ours.count !== LATENCY_EVENTS - LATENCY_WARMUP) throw new Error(`latency: ${ours.count} samples`);
  }

  // The floor: the bare client sends each event as soon as its append returns.
  const theirs = new Latencies();
  {
    const journal = open(benchDir('sink-latency'));
    const destination = await admin.destination(tag());
    const bare = await destination.bare();
    const acks: Promise<void>[] = [];
    try {
      await steady(journal, (position, at) => {
        const e = journal.readAll({ after: position - 1, limit: 1 }).events;
        acks.push(
          bare.publishBatch(e).then(() => {
            if (measured(position)) theirs.add(performance.now() - at);
          }),
        );
      });
      await within(ROUND_TIMEOUT_MS, `${broker.name} bare latency run`, Promise.all(acks));
    } finally {
      await bare.close();
      await destination.dispose();
      const dir = journal.dir;
      journal.close();
      removeDir(dir);
    }
  }
  const o = ours.summary();
  const t = theirs.summary();
  return { ours: { p50_ms: o.p50_ms, p99_ms: o.p99_ms }, theirs: { p50_ms: t.p50_ms, p99_ms: t.p99_ms } };
}
