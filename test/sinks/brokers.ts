/**
 * The brokers the sink tests publish to: the shared NATS and RabbitMQ (which must be up under CI;
 * elsewhere a missing one skips its tests and says so), and servers of a test's own that it may
 * stop and start.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager, type StoredMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Connection } from 'rabbitmq-client';
import { afterAll } from 'vitest';
import { coordinate, type Journal } from '../../src/index.js';
import { freePort } from '../outbox/own-servers.js';

export const NATS_URL = process.env.CAUSEWAY_NATS_URL ?? '127.0.0.1:4222';
export const RABBITMQ_URL = process.env.CAUSEWAY_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** True when the broker answers; under CI its absence fails the file instead. */
export async function brokerOrSkip(broker: 'nats' | 'rabbitmq'): Promise<boolean> {
  if (await reachable(broker === 'nats' ? 4222 : 5672)) return true;
  if (process.env.CI) throw new Error(`${broker} is not reachable, and CI requires it`);
  console.warn(`[skip] ${broker} is not reachable; its sink tests are skipped outside CI`);
  return false;
}

/** A unique name for a test's stream, exchange or queue. */
export const uniqueName = (base: string) =>
  `${base}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

/** Every message of a JetStream stream, in sequence order. */
export async function streamMessages(nc: NatsConnection, stream: string): Promise<StoredMsg[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const out: StoredMsg[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    if (m) out.push(m);
  }
  return out;
}

/** A NATS connection for the test's own reading, closed after the file. */
export async function natsReader(servers = NATS_URL): Promise<NatsConnection> {
  const nc = await connect({ servers });
  afterAll(() => nc.close());
  return nc;
}

/** Streams created by a test file, deleted after it. */
export function streamsToDelete(nc: () => NatsConnection | undefined): (name: string) => string {
  const names: string[] = [];
  afterAll(async () => {
    const c = nc();
    if (!c) return;
    const jsm = await jetstreamManager(c);
    for (const n of names) await jsm.streams.delete(n).catch(() => {});
  });
  return (name) => {
    names.push(name);
    return name;
  };
}

/** A queue bound to `exchange` by `bindingKey`, and everything it has received. */
export async function rabbitQueue(
  rabbit: Connection,
  exchange: string,
  bindingKey = '#',
): Promise<{
  name: string;
  received: { messageId: string; routingKey: string; headers: Record<string, unknown>; body: Buffer }[];
  close(): Promise<void>;
}> {
  const name = uniqueName('q');
  await rabbit.exchangeDeclare({ exchange, type: 'topic', durable: true });
  await rabbit.queueDeclare({ queue: name, durable: true });
  await rabbit.queueBind({ queue: name, exchange, routingKey: bindingKey });
  const received: {
    messageId: string;
    routingKey: string;
    headers: Record<string, unknown>;
    body: Buffer;
  }[] = [];
  const consumer = rabbit.createConsumer(
    { queue: name, queueOptions: { durable: true }, qos: { prefetchCount: 1000 } },
    async (msg) => {
      received.push({
        messageId: msg.messageId ?? '',
        routingKey: msg.routingKey,
        headers: msg.headers ?? {},
        // The client parses a JSON body itself.
        body: Buffer.isBuffer(msg.body) ? msg.body : Buffer.from(JSON.stringify(msg.body)),
      });
    },
  );
  // A consumer whose broker goes away (a test stops its own on purpose) reports it as an 'error'
  // event, failing its acknowledgements; unheard, that would end the test process. It reconnects.
  consumer.on('error', () => {});
  return {
    name,
    received,
    close: async () => {
      await consumer.close();
      await rabbit.queueDelete({ queue: name }).catch(() => {});
    },
  };
}

/** Polls `done` until it holds, or fails after `ms`. */
export async function eventually(
  done: () => boolean | Promise<boolean>,
  ms = 20_000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export interface OwnBroker {
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

/** A nats-server of the test's own (JetStream on, its own store), which it may stop and start. */
export async function createNats(): Promise<OwnBroker> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'causeway-nats-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 200 && !(await reachable(port)); i++) await sleep(50);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `127.0.0.1:${port}`,
    start,
    stop,
    remove: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const canCreateRabbitMq = (): boolean => fs.existsSync('/usr/sbin/rabbitmq-server');

/** A RabbitMQ node of the test's own: its own name, ports and data directory. */
export async function createRabbitMq(): Promise<OwnBroker> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'causeway-rabbitmq-'));
  // The server runs as the rabbitmq user.
  execFileSync('chown', ['rabbitmq:rabbitmq', dir]);
  const port = await freePort();
  const node = `causeway${process.pid}x${port}@localhost`;
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(await freePort()),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_PID_FILE: path.join(dir, 'pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'plugins'),
    RABBITMQ_FEATURE_FLAGS_FILE: path.join(dir, 'feature_flags'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'none'),
  };
  const start = async () => {
    const child = spawn('rabbitmq-server', [], { env, stdio: 'ignore', detached: true });
    child.unref();
    for (let i = 0; i < 600 && !(await reachable(port)); i++) await sleep(100);
    if (!(await reachable(port))) throw new Error('own RabbitMQ did not come up');
  };
  const stop = async () => {
    execFileSync('rabbitmqctl', ['-n', node, 'stop'], { stdio: 'ignore', timeout: 60_000 });
    for (let i = 0; i < 200 && (await reachable(port)); i++) await sleep(50);
  };
  await start();
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    start,
    stop,
    remove: async () => {
      await stop().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { Connection as RabbitConnection };

/**
 * Appends `n` `OrderStep` events (data `{ step }`, steps `from` onwards) over `streams` streams
 * `order:<step % streams>` in scope `shop`; returns their ids in order.
 */
export function appendSteps(journal: Journal, n: number, from: number, streams: number): string[] {
  const ids: string[] = [];
  for (let i = from; i < from + n; i++)
    ids.push(
      journal.append(coordinate(`order:${i % streams}`, 'shop'), { type: 'OrderStep', data: { step: i } }).id,
    );
  return ids;
}
