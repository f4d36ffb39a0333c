import type { JetStreamClient, JetStreamManager, PubAck } from '@nats-io/jetstream';
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { InvalidArgument, SinkPublishFailed } from '../../errors.js';
import { type Logger, silentLogger } from '../../logger.js';
import { requireOptional } from '../../optional-package.js';
import type { Sink, SinkRecord } from '../../sink.js';
import { checkOptions, keys } from '../../validation.js';
import { checkEnvelope, defaultRoute, type Envelope, headersOf } from '../envelope.js';
import { compileRoute, type Route } from '../route.js';

/** Options of {@link connectNatsSink}. */
export interface NatsSinkOptions {
  /** Servers to connect to (`127.0.0.1:4222`); ignored with `connection`. Default `127.0.0.1:4222`. */
  servers?: string | string[];
  /** Further options for the connection the sink makes (credentials, TLS, name). */
  connectOptions?: Omit<ConnectionOptions, 'servers'>;
  /** A connection of the application's to publish on; the sink then leaves it open on `close()`. */
  connection?: NatsConnection;
  /** The JetStream stream the subjects belong to (checked, or created with `createStream`). */
  stream: string;
  /**
   * The subject of each record: fields in braces (`type`, `entity`, `scope`, `queue`, `key`,
   * `partition`, `aggregateType`, `aggregateId`). Each field's value becomes one token: `.`, `*`,
   * `>` and white space in it are replaced by `_`. Default `causeway.{aggregateType}.{type}`
   * (Debezium envelope: `outbox.event.{aggregateType}`).
   */
  subject?: string;
  /**
   * Publish the journal one to one, so the stream's sequence equals the journal's position: each
   * event is sent with `Nats-Expected-Last-Sequence` = its position − 1, a replay is refused by the
   * stream instead of stored twice, and the relay resumes from the stream's last sequence. The
   * stream must hold nothing else, and the relay must cover the whole journal.
   */
  mirror?: boolean;
  envelope?: Envelope;
  /** Create the stream when it does not exist (file storage, the subject's wildcard). Default true. */
  createStream?: boolean;
  /** How long to wait for the stream's acknowledgement of one message. Default 5,000 ms. */
  ackTimeoutMs?: number;
  /** Names the sink in logs and stats. Default `nats:<stream>`. */
  name?: string;
  /** Where reconnections and refused messages are reported. */
  logger?: Logger;
}

const OPTIONS = keys(
  'servers',
  'connectOptions',
  'connection',
  'stream',
  'subject',
  'mirror',
  'envelope',
  'createStream',
  'ackTimeoutMs',
  'name',
  'logger',
);

interface NatsModules {
  transport: typeof import('@nats-io/transport-node');
  jetstream: typeof import('@nats-io/jetstream');
}

/** JetStream's error for a publish whose `Nats-Expected-Last-Sequence` did not hold. */
const WRONG_LAST_SEQUENCE = 10071;
/** JetStream errors no retry can fix: a message larger than the stream allows. */
const REFUSED_FOR_GOOD = new Set([10054]);

/**
 * Connects a sink that publishes to a NATS JetStream stream, each message with `Nats-Msg-Id` = the
 * record id (the stream drops a repeat within its duplicate window), and resolves each batch once
 * the stream has acknowledged all of it. Needs `@nats-io/transport-node` and `@nats-io/jetstream`.
 *
 * @example
 * const sink = await connectNatsSink({ stream: 'ORDERS', subject: 'orders.{type}' });
 * const relay = journal.sinkTo(sink, { region: { scope: 'orders' }, checkpointId: 'nats' });
 */
export async function connectNatsSink(options: NatsSinkOptions): Promise<Sink> {
  checkOptions(options, OPTIONS, 'NATS sink option');
  const { stream, mirror = false, createStream = true, ackTimeoutMs = 5000 } = options;
  if (typeof stream !== 'string' || !/^[^\s.*>/\\]{1,255}$/.test(stream))
    throw new InvalidArgument('stream must be a JetStream stream name (no spaces, ., *, >, / or \\)', {
      stream,
    });
  if (!Number.isSafeInteger(ackTimeoutMs) || ackTimeoutMs < 1)
    throw new InvalidArgument('ackTimeoutMs must be a positive integer', { ackTimeoutMs });
  const envelope = checkEnvelope(options.envelope);
  const template = options.subject ?? defaultRoute(envelope, 'causeway');
  const subjectOf = compileRoute(template, subjectToken);
  const nats: NatsModules = {
    transport: requireOptional('@nats-io/transport-node', 'The NATS sink'),
    jetstream: requireOptional('@nats-io/jetstream', 'The NATS sink'),
  };
  const logger = options.logger ?? silentLogger;
  const name = options.name ?? `nats:${stream}`;
  const owned = options.connection === undefined;
  const nc =
    options.connection ??
    (await nats.transport.connect({
      ...options.connectOptions,
      servers: options.servers ?? '127.0.0.1:4222',
      // A broker that restarts is waited for, however long: the relay holds its batch meanwhile.
      maxReconnectAttempts: -1,
    }));
  try {
    const jsm = await nats.jetstream.jetstreamManager(nc);
    await ensureStream(jsm, stream, template, createStream, nats);
    const sink = new NatsSink(name, nc, owned, jsm, nats.jetstream.jetstream(nc), {
      stream,
      subjectOf,
      envelope,
      mirror,
      ackTimeoutMs,
      headers: nats.transport.headers,
    });
    void watchConnection(nc, name, logger);
    return sink;
  } catch (err) {
    if (owned) await nc.close().catch(() => {});
    throw err;
  }
}

/** One subject token from a field's value. */
function subjectToken(value: string): string {
  return value.length === 0 ? '_' : value.replace(/[\s.*>]/g, '_');
}

async function ensureStream(
  jsm: JetStreamManager,
  stream: string,
  template: string,
  create: boolean,
  nats: NatsModules,
): Promise<void> {
  try {
    await jsm.streams.info(stream);
  } catch (err) {
    if ((err as { code?: unknown })?.code !== nats.jetstream.JetStreamApiCodes.StreamNotFound || !create)
      throw err;
    // Every field is one token, so the template's wildcard is exact: `causeway.*.*`.
    const subject = template.replace(/\{[^{}]*\}/g, '*');
    await jsm.streams.add({ name: stream, subjects: [subject] });
  }
}

/** Logs the connection's disconnections and reconnections until it closes. */
async function watchConnection(nc: NatsConnection, sink: string, logger: Logger): Promise<void> {
  try {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect')
        logger.warn({ sink, server: s.server }, 'NATS sink disconnected; it reconnects');
      else if (s.type === 'reconnect') logger.info({ sink, server: s.server }, 'NATS sink reconnected');
      else if (s.type === 'error') logger.error({ sink, err: s.error }, 'NATS sink connection error');
    }
  } catch (err) {
    logger.error({ sink, err }, 'NATS sink stopped watching its connection');
  }
}

interface NatsSinkSettings {
  stream: string;
  subjectOf: Route;
  envelope: Envelope;
  mirror: boolean;
  ackTimeoutMs: number;
  headers: NatsModules['transport']['headers'];
}

class NatsSink implements Sink {
  readonly resumeAfter?: () => Promise<number>;

  constructor(
    readonly name: string,
    private readonly nc: NatsConnection,
    private readonly owned: boolean,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly settings: NatsSinkSettings,
  ) {
    if (settings.mirror) this.resumeAfter = () => this.lastSequence();
  }

  async publish(records: readonly SinkRecord[]): Promise<void> {
    if (!this.settings.mirror) {
      const failed = await this.sendAll(records, 0);
      if (failed) throw this.failure(failed.index, failed.error);
      return;
    }
    let from = 0;
    while (from < records.length) {
      const failed = await this.sendAll(records, from);
      if (!failed) return;
      if ((failed.error as { code?: unknown })?.code !== WRONG_LAST_SEQUENCE)
        throw this.failure(failed.index, failed.error);
      // The stream holds more or less than this batch expects: another relay (or this one before a
      // crash) published some of it, or the stream lost messages. Go on from what the stream holds.
      const last = await this.lastSequence();
      const next = failed.index;
      const position = records[next].position!;
      if (last >= position) {
        await this.checkHeld(records[next], position);
        from = next + 1;
        while (from < records.length && records[from].position! <= last) from++;
        if (from < records.length && records[from].position! !== last + 1)
          throw this.failure(from, failed.error, last);
      } else if (last !== position - 1) {
        throw this.failure(next, failed.error, last);
      } else {
        from = next; // the stream caught up meanwhile: send again
      }
    }
  }

  async close(): Promise<void> {
    if (this.owned) await this.nc.drain();
  }

  /** Sends `records[from..]` at once (in order on the connection); the first failure, if any. */
  private async sendAll(
    records: readonly SinkRecord[],
    from: number,
  ): Promise<{ index: number; error: unknown } | undefined> {
    const sends: Promise<PubAck>[] = [];
    for (let i = from; i < records.length; i++) {
      try {
        sends.push(this.send(records[i]));
      } catch (error) {
        // A record that cannot be routed: the ones before it are still sent and awaited.
        const failed = await this.firstFailure(sends, from);
        return failed ?? { index: i, error };
      }
    }
    return this.firstFailure(sends, from);
  }

  private async firstFailure(
    sends: Promise<PubAck>[],
    from: number,
  ): Promise<{ index: number; error: unknown } | undefined> {
    const settled = await Promise.allSettled(sends);
    const k = settled.findIndex((s) => s.status === 'rejected');
    return k < 0 ? undefined : { index: from + k, error: (settled[k] as PromiseRejectedResult).reason };
  }

  private send(record: SinkRecord): Promise<PubAck> {
    const { subjectOf, envelope, mirror, ackTimeoutMs } = this.settings;
    const subject = subjectOf(record);
    const h = this.settings.headers();
    for (const [k, v] of Object.entries(headersOf(record, envelope))) h.set(k, v);
    h.set('Content-Type', record.contentType);
    if (mirror && record.position === undefined)
      throw new InvalidArgument('a NATS mirror publishes journal events only', { id: record.id });
    return this.js.publish(subject, record.payload, {
      msgID: record.id,
      headers: h,
      timeout: ackTimeoutMs,
      ...(mirror && { expect: { lastSequence: record.position! - 1 } }),
    });
  }

  private async lastSequence(): Promise<number> {
    const info = await this.jsm.streams.info(this.settings.stream);
    return info.state.last_seq;
  }

  /** The stream's message at `position` must be this record, or the stream is not a mirror of this journal. */
  private async checkHeld(record: SinkRecord, position: number): Promise<void> {
    const held = await this.jsm.streams.getMessage(this.settings.stream, { seq: position });
    const id = held?.header?.get('Nats-Msg-Id');
    if (id !== record.id)
      throw new SinkPublishFailed(
        this.name,
        0,
        true,
        `stream ${this.settings.stream} holds message ${id ?? '(none)'} at sequence ${position}, where the journal has event ${record.id}: it is not a mirror of this journal`,
      );
  }

  private failure(published: number, error: unknown, resumeAfter?: number): SinkPublishFailed {
    const code = (error as { code?: unknown })?.code;
    const permanent =
      error instanceof InvalidArgument || (typeof code === 'number' && REFUSED_FOR_GOOD.has(code));
    return new SinkPublishFailed(
      this.name,
      published,
      permanent,
      (error as Error)?.message ?? String(error),
      error,
      resumeAfter,
    );
  }
}
