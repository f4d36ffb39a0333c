import type { JetStreamClient, JetStreamManager, PubAck } from '@nats-io/jetstream';
import type { ConnectionOptions, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { BrokerUnavailable, InvalidArgument, SinkPublishFailed } from '../../errors.js';
import { type Logger, silentLogger } from '../../logger.js';
import { requireOptional } from '../../optional-package.js';
import type { Sink, SinkRecord } from '../../sink.js';
import { checkOptions, keys } from '../../validation.js';
import { checkEnvelope, defaultRoute, type Envelope, headersOf } from '../envelope.js';
import { checkKinds } from '../options.js';
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
  /** Where reconnections are reported. */
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
/** How long `close()` lets the connection drain before closing it (a broker that is away never answers). */
const DRAIN_MS = 2000;
/** How long the stream's message size limit, once read, is trusted. */
const LIMIT_TTL_MS = 1000;
/**
 * The longest subject sent: a publish's protocol line (subject, reply inbox, sizes) must stay within
 * the server's control line limit, 4,096 bytes by default.
 */
const MAX_SUBJECT_BYTES = 3584;

/**
 * Connects a sink that publishes to a NATS JetStream stream, each message with `Nats-Msg-Id` = the
 * record id (the stream drops a repeat within its duplicate window), and resolves each batch once
 * the stream has acknowledged all of it. Needs `@nats-io/transport-node` and `@nats-io/jetstream`.
 *
 * A record that cannot be sent at all (too large for the connection or the stream, a header the
 * protocol cannot carry) is found before anything after it is sent: the batch is published up to
 * it, and it fails for good. Outside mirror mode, a message the stream loses while later ones are
 * stored (a timeout, say) is stored after them when retried; mirror mode never reorders.
 *
 * @example
 * const sink = await connectNatsSink({ stream: 'ORDERS', subject: 'orders.{type}' });
 * const relay = journal.sinkTo(sink, { region: { scope: 'orders' }, checkpointId: 'nats' });
 */
export async function connectNatsSink(options: NatsSinkOptions): Promise<Sink> {
  checkOptions(options, OPTIONS, 'NATS sink option');
  const o = options ?? ({} as NatsSinkOptions);
  checkKinds(
    o,
    {
      servers: 'strings',
      connectOptions: 'object',
      connection: 'object',
      subject: 'string',
      mirror: 'boolean',
      createStream: 'boolean',
      ackTimeoutMs: 'timer',
      name: 'string',
    },
    'NATS sink option',
  );
  if (o.connection !== undefined && typeof (o.connection as { request?: unknown }).request !== 'function')
    throw new InvalidArgument('connection must be a NatsConnection from @nats-io/transport-node');
  const { stream, mirror = false, createStream = true, ackTimeoutMs = 5000 } = o;
  if (typeof stream !== 'string' || !/^[^\s.*>/\\]{1,255}$/.test(stream))
    throw new InvalidArgument('stream must be a JetStream stream name (no spaces, ., *, >, / or \\)', {
      stream,
    });
  const envelope = checkEnvelope(o.envelope);
  const template = o.subject ?? defaultRoute(envelope, 'causeway');
  checkSubjectTemplate(template);
  const subjectOf = compileRoute(template, subjectToken);
  const nats: NatsModules = {
    transport: requireOptional('@nats-io/transport-node', 'The NATS sink'),
    jetstream: requireOptional('@nats-io/jetstream', 'The NATS sink'),
  };
  const logger = o.logger ?? silentLogger;
  const name = o.name ?? `nats:${stream}`;
  const owned = o.connection === undefined;
  const servers = o.servers ?? '127.0.0.1:4222';
  let nc: NatsConnection;
  try {
    nc =
      o.connection ??
      (await nats.transport.connect({
        ...o.connectOptions,
        servers,
        // A broker that restarts is waited for, however long: the relay holds its batch meanwhile.
        maxReconnectAttempts: -1,
      }));
  } catch (err) {
    throw new BrokerUnavailable(`NATS at ${String(servers)}`, (err as Error)?.message ?? String(err), err);
  }
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
    if (err instanceof InvalidArgument) throw err;
    throw new BrokerUnavailable(`NATS stream ${stream}`, (err as Error)?.message ?? String(err), err);
  }
}

/** A subject template must give a subject a message can be published to: no empty token, no wildcard, no space. */
function checkSubjectTemplate(template: string): void {
  const sample = template.replace(/\{[^{}]*\}/g, 'x');
  if (
    !sample
      .split('.')
      .every((token) => token.length > 0 && token !== '*' && token !== '>' && !/\s/.test(token))
  )
    throw new InvalidArgument('subject must be tokens joined by "." with no empty token, wildcard or space', {
      subject: template,
    });
}

/** One subject token from a field's value. */
function subjectToken(value: string): string {
  return value.length === 0 ? '_' : value.replace(/[\s.*>]/g, '_');
}

/** Checks or creates the stream. */
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
    if ((err as { code?: unknown })?.code !== nats.jetstream.JetStreamApiCodes.StreamNotFound) throw err;
    if (!create)
      throw new InvalidArgument(`stream ${stream} does not exist (createStream: false)`, { stream });
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

/** A record ready to send: its subject and headers, checked against the protocol's limits. */
interface Outgoing {
  readonly record: SinkRecord;
  readonly subject: string;
  readonly headers: MsgHdrs;
}

class NatsSink implements Sink {
  readonly resumeAfter?: () => Promise<number>;
  private streamLimit = Number.POSITIVE_INFINITY;
  private limitReadAt = Number.NEGATIVE_INFINITY;

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
    let limit = await this.messageLimit(false);
    const ready: Outgoing[] = [];
    let unsendable: { index: number; error: unknown } | undefined;
    for (let i = 0; i < records.length && !unsendable; i++) {
      try {
        ready.push(this.prepare(records[i], limit));
      } catch (error) {
        if (!(error instanceof TooLarge)) {
          unsendable = { index: i, error };
          continue;
        }
        // The stream's limit may have been raised since it was read.
        limit = await this.messageLimit(true);
        try {
          ready.push(this.prepare(records[i], limit));
        } catch (again) {
          unsendable = { index: i, error: again };
        }
      }
    }
    await this.publishReady(ready);
    if (unsendable) throw this.failure(unsendable.index, unsendable.error);
  }

  /** The largest message the connection and the stream take, read again when `fresh` or stale. */
  private async messageLimit(fresh: boolean): Promise<number> {
    if (fresh || Date.now() - this.limitReadAt > LIMIT_TTL_MS) {
      const info = await this.jsm.streams.info(this.settings.stream);
      this.streamLimit = info.config.max_msg_size > 0 ? info.config.max_msg_size : Number.POSITIVE_INFINITY;
      this.limitReadAt = Date.now();
    }
    return Math.min(this.nc.info?.max_payload ?? Number.POSITIVE_INFINITY, this.streamLimit);
  }

  async close(): Promise<void> {
    if (!this.owned) return;
    // A broker that is away never answers a drain: close without it after a moment.
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      this.nc.drain().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), DRAIN_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) await this.nc.close().catch(() => {});
  }

  /** Publishes checked records in order; in mirror mode, goes on from what the stream holds. */
  private async publishReady(ready: readonly Outgoing[]): Promise<void> {
    if (!this.settings.mirror) {
      const failed = await this.sendAll(ready, 0);
      if (failed) throw this.failure(failed.index, failed.error);
      return;
    }
    let from = 0;
    while (from < ready.length) {
      const failed = await this.sendAll(ready, from);
      if (!failed) return;
      if ((failed.error as { code?: unknown })?.code !== WRONG_LAST_SEQUENCE)
        throw this.failure(failed.index, failed.error);
      // The stream holds more or less than this batch expects: another relay (or this one before a
      // crash) published some of it, or the stream lost messages. Go on from what the stream holds.
      const last = await this.lastSequence();
      const next = failed.index;
      const position = ready[next].record.position!;
      if (last >= position) {
        await this.checkHeld(ready[next].record, position);
        from = next + 1;
        while (from < ready.length && ready[from].record.position! <= last) from++;
        if (from < ready.length && ready[from].record.position! !== last + 1)
          throw this.failure(from, failed.error, last);
      } else if (last !== position - 1) {
        throw this.failure(next, failed.error, last);
      } else {
        from = next; // the stream caught up meanwhile: send again
      }
    }
  }

  /** Sends `ready[from..]` at once (in order on the connection); the first failure, if any. */
  private async sendAll(
    ready: readonly Outgoing[],
    from: number,
  ): Promise<{ index: number; error: unknown } | undefined> {
    const { mirror, ackTimeoutMs } = this.settings;
    const sends: Promise<PubAck>[] = [];
    for (let i = from; i < ready.length; i++) {
      const { record, subject, headers } = ready[i];
      sends.push(
        this.js.publish(subject, record.payload, {
          msgID: record.id,
          headers,
          timeout: ackTimeoutMs,
          ...(mirror && { expect: { lastSequence: record.position! - 1 } }),
        }),
      );
    }
    const settled = await Promise.allSettled(sends);
    const k = settled.findIndex((s) => s.status === 'rejected');
    return k < 0 ? undefined : { index: from + k, error: (settled[k] as PromiseRejectedResult).reason };
  }

  /**
   * A record's subject and headers; throws `InvalidArgument` for one that cannot be sent at all
   * (`TooLarge` for one over `limit`, counting the headers the client adds).
   */
  private prepare(record: SinkRecord, limit: number): Outgoing {
    const { subjectOf, envelope, mirror } = this.settings;
    if (mirror && record.position === undefined)
      throw new InvalidArgument('a NATS mirror publishes journal events only', { id: record.id });
    const subject = subjectOf(record);
    if (Buffer.byteLength(subject) > MAX_SUBJECT_BYTES)
      throw new InvalidArgument(`subject longer than ${MAX_SUBJECT_BYTES} bytes`, { id: record.id });
    const headers = this.settings.headers();
    const fields: [string, string][] = [
      ...Object.entries(headersOf(record, envelope)),
      ['Content-Type', record.contentType],
    ];
    for (const [k, v] of fields) {
      // A header JetStream acts on (Nats-Rollup purges a stream) is the sink's to set, never a message's.
      if (/^nats-/i.test(k))
        throw new InvalidArgument(`header ${JSON.stringify(k)} is reserved by NATS`, { id: record.id });
      if (/[\r\n]/.test(k) || /[\r\n]/.test(v))
        throw new InvalidArgument(`header ${JSON.stringify(k)} holds a line break, which NATS cannot carry`, {
          id: record.id,
        });
      headers.set(k, v);
    }
    // What the client adds: the message id, and in mirror mode the expected last sequence.
    fields.push(['Nats-Msg-Id', record.id]);
    if (mirror) fields.push(['Nats-Expected-Last-Sequence', String(record.position! - 1)]);
    const headerBytes = fields.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v) + 4, 12);
    const size = headerBytes + record.payload.byteLength;
    if (size > limit) throw new TooLarge(record.id, size, limit);
    return { record, subject, headers };
  }

  private async lastSequence(): Promise<number> {
    const info = await this.jsm.streams.info(this.settings.stream);
    return info.state.last_seq;
  }

  /**
   * The stream's message at `position` must be this record, or the stream is not a mirror of this
   * journal. A message no longer there (expired under the stream's limits, or deleted) cannot be
   * checked and is taken as held.
   */
  private async checkHeld(record: SinkRecord, position: number): Promise<void> {
    const held = await this.jsm.streams.getMessage(this.settings.stream, { seq: position }).catch((err) => {
      if ((err as { code?: unknown })?.code === 10037) return null; // no message found
      throw err;
    });
    const id = held?.header?.get('Nats-Msg-Id');
    if (held && id !== record.id)
      throw new SinkPublishFailed(
        this.name,
        0,
        true,
        `stream ${this.settings.stream} holds message ${id || '(without an id)'} at sequence ${position}, where the journal has event ${record.id}: it is not a mirror of this journal`,
      );
  }

  private failure(published: number, error: unknown, resumeAfter?: number): SinkPublishFailed {
    if (error instanceof SinkPublishFailed) return error;
    const code = (error as { code?: unknown })?.code;
    const permanent =
      error instanceof InvalidArgument ||
      (typeof code === 'number' && REFUSED_FOR_GOOD.has(code)) ||
      ['InvalidArgumentError', 'InvalidSubjectError'].includes((error as Error)?.name);
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

/** A record larger than NATS takes (the connection's `max_payload` or the stream's `max_msg_size`). */
class TooLarge extends InvalidArgument {
  constructor(id: string, size: number, limit: number) {
    super(`message of ${size} bytes is larger than NATS takes (${limit})`, { id, size, limit });
  }
}
