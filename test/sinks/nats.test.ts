import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  coordinate,
  InvalidArgument,
  type Journal,
  Outbox,
  SinkPublishFailed,
  type SinkRecord,
  sink,
} from '../../src/index.js';
import { sinkRecordOf } from '../../src/journal/delivery/sink-relay.js';
import { connectNatsSink } from '../../src/sinks/index.js';
import { fixture, startChild } from '../children.js';
import { freshJournal, recordingLogger, tempDir } from '../helpers.js';
import {
  appendSteps,
  brokerOrSkip,
  createNats,
  eventually,
  NATS_URL,
  natsReader,
  streamMessages,
  streamsToDelete,
  uniqueName,
} from './brokers.js';

const available = await brokerOrSkip('nats');
let nc: NatsConnection | undefined;
const stream = streamsToDelete(() => nc);
beforeAll(async () => {
  if (available) nc = await natsReader();
});

const append = (journal: Journal, n: number, from = 0) => appendSteps(journal, n, from, 5);

describe.skipIf(!available)('NATS JetStream sink', () => {
  it('publishes every event of the region once, in order, with its id as Nats-Msg-Id and a templated subject', async () => {
    const { journal } = freshJournal();
    const name = stream(uniqueName('events'));
    const ids = append(journal, 120);
    journal.append(coordinate('audit:1', 'ops'), { type: 'Audited', data: {} }); // outside the region
    const s = await connectNatsSink({
      servers: NATS_URL,
      stream: name,
      subject: `${name}.{scope}.{type}.{entity}`,
    });
    const relay = journal.sinkTo(s, { region: { scope: 'shop' }, checkpointId: 'nats', batchSize: 32 });
    await eventually(async () => (await relay.stats()).position >= 120, 20_000, 'published events');
    await relay.stopAndJoin();
    await s.close();
    const messages = await streamMessages(nc!, name);
    expect(messages.map((m) => m.header.get('Nats-Msg-Id'))).toEqual(ids);
    expect(messages[0].subject).toBe(`${name}.shop.OrderStep.order:0`);
    expect(messages[3].json()).toEqual({ step: 3 });
    expect(messages[3].header.get('causeway-position')).toBe('4');
    expect(messages[3].header.get('Content-Type')).toBe('application/json');
    // The checkpoint passes the event outside the region at the end.
    expect(journal.checkpoints().find((c) => c.id === 'nats')?.position).toBe(121);
  });

  it('a relay started again from an older checkpoint publishes nothing twice within the duplicate window', async () => {
    const { journal } = freshJournal();
    const name = stream(uniqueName('replay'));
    const ids = append(journal, 40);
    const s = await connectNatsSink({ servers: NATS_URL, stream: name, subject: `${name}.{type}` });
    const first = journal.sinkTo(s, { checkpointId: 'replay' });
    await eventually(async () => (await first.stats()).position === 40);
    await first.stopAndJoin();
    journal.resetCheckpoint('replay', 10); // as if the process died before checkpointing
    append(journal, 5, 40);
    const again = journal.sinkTo(s, { checkpointId: 'replay' });
    await eventually(async () => (await again.stats()).position === 45);
    await again.stopAndJoin();
    await s.close();
    const messages = await streamMessages(nc!, name);
    expect(messages).toHaveLength(45);
    expect(messages.slice(0, 40).map((m) => m.header.get('Nats-Msg-Id'))).toEqual(ids);
  });

  it('in mirror mode the stream sequence equals the journal position, and a restarted relay resumes from the stream', async () => {
    const { journal } = freshJournal();
    const name = stream(uniqueName('mirror'));
    append(journal, 50);
    const s = await connectNatsSink({
      servers: NATS_URL,
      stream: name,
      subject: `${name}.{type}`,
      mirror: true,
    });
    const relay = journal.sinkTo(s, { batchSize: 16 });
    await eventually(async () => (await relay.stats()).position === 50);
    await relay.stopAndJoin();
    append(journal, 30, 50);
    // A second relay and a stale one run at once: the stream refuses what it already holds.
    const a = journal.sinkTo(s, { batchSize: 7 });
    const b = journal.sinkTo(s, { batchSize: 11 });
    await eventually(async () => (await a.stats()).position === 80 && (await b.stats()).position === 80);
    await Promise.all([a.stopAndJoin(), b.stopAndJoin()]);
    await s.close();
    const messages = await streamMessages(nc!, name);
    const events = journal.readAll({ limit: 1000 }).events;
    expect(messages.map((m) => m.seq)).toEqual(events.map((e) => e.position));
    expect(messages.map((m) => m.header.get('Nats-Msg-Id'))).toEqual(events.map((e) => e.id));
  });

  it('a mirror refuses a region or a checkpoint, and a stream holding other messages stops the relay', async () => {
    const { journal } = freshJournal();
    const name = stream(uniqueName('foreign'));
    append(journal, 3);
    const s = await connectNatsSink({
      servers: NATS_URL,
      stream: name,
      subject: `${name}.{type}`,
      mirror: true,
    });
    expect(() => journal.sinkTo(s, { region: { scope: 'shop' } })).toThrow(InvalidArgument);
    expect(() => journal.sinkTo(s, { checkpointId: 'x' })).toThrow(InvalidArgument);
    await jetstream(nc!).publish(`${name}.Other`, 'x', { msgID: 'not-from-the-journal' });
    const { logger, errors } = recordingLogger();
    const { journal: other } = freshJournal({ logger });
    append(other, 3);
    const relay = other.sinkTo(s);
    await expect(relay.join()).rejects.toMatchObject({ code: 'SINK_PUBLISH_FAILED', permanent: true });
    expect(errors.map((e) => e.msg)).toContain('sink refused an event for good; the relay stops');
    await s.close();
  });

  it('publishes an outbox queue through sink(): per-partition order, every message once', async () => {
    const name = stream(uniqueName('outbox'));
    const s = await connectNatsSink({
      servers: NATS_URL,
      stream: name,
      subject: `${name}.{queue}.{partition}.{type}`,
    });
    const outbox = await Outbox.start(`sqlite:${path.join(tempDir(), 'outbox.db')}`, {
      queues: { toNats: { partitions: 3, delivery: sink(s) } },
    });
    try {
      const sent = [];
      for (let i = 0; i < 60; i++)
        sent.push(
          ...(await outbox.enqueueAndCommit('toNats', [{ type: 'Step', key: `k${i % 6}`, payload: { i } }])),
        );
      await eventually(
        async () => (await streamMessages(nc!, name)).length === 60,
        20_000,
        'published messages',
      );
      const messages = await streamMessages(nc!, name);
      expect(new Set(messages.map((m) => m.header.get('Nats-Msg-Id')))).toEqual(
        new Set(sent.map((m) => m.id)),
      );
      for (let k = 0; k < 6; k++) {
        const steps = messages
          .filter((m) => m.header.get('causeway-key') === `k${k}`)
          .map((m) => m.json<{ i: number }>().i);
        expect(steps).toEqual([...steps].sort((a, b) => a - b));
      }
      expect(messages[0].subject).toMatch(new RegExp(`^${name}\\.toNats\\.[0-2]\\.Step$`));
    } finally {
      await outbox.stop();
      await s.close();
    }
  });

  it('dead-letters an outbox message the stream refuses for good, and goes on', async () => {
    const name = stream(uniqueName('small'));
    const jsm = await jetstreamManager(nc!);
    await jsm.streams.add({ name, subjects: [`${name}.>`], max_msg_size: 2000 });
    const s = await connectNatsSink({ servers: NATS_URL, stream: name, subject: `${name}.{type}` });
    const letters: string[] = [];
    const outbox = await Outbox.start(`sqlite:${path.join(tempDir(), 'outbox.db')}`, {
      queues: {
        toNats: { partitions: 1, delivery: sink(s, { maxAttempts: 2, retryBackoff: { initialMs: 10 } }) },
      },
      onDeadLetter: (l) => letters.push(l.messageId),
    });
    try {
      const [big] = await outbox.enqueueAndCommit('toNats', [
        { type: 'Big', payload: { text: 'x'.repeat(5000) } },
      ]);
      await outbox.enqueueAndCommit('toNats', [{ type: 'Small', payload: {} }]);
      await eventually(
        async () => (await streamMessages(nc!, name)).length === 1,
        20_000,
        'the small message',
      );
      expect(letters).toEqual([big.id]);
    } finally {
      await outbox.stop();
      await s.close();
    }
  });

  it('rejects bad options with typed errors before connecting', async () => {
    await expect(connectNatsSink({ stream: 'a.b' })).rejects.toThrow(InvalidArgument);
    await expect(connectNatsSink({ stream: 'ok', subject: 'x.{nope}' })).rejects.toThrow(
      /unknown field \{nope\}/,
    );
    await expect(connectNatsSink({ stream: 'ok', envelope: 'kafka' as never })).rejects.toThrow(
      InvalidArgument,
    );
    await expect(connectNatsSink({ stream: 'ok', colour: 1 } as never)).rejects.toThrow(InvalidArgument);
    const { journal } = freshJournal();
    const s = { name: 'x', publish: async () => {}, close: async () => {} };
    expect(() => journal.sinkTo(s, {})).toThrow(/checkpointId/);
    expect(() => journal.sinkTo({} as never, { checkpointId: 'a' })).toThrow(InvalidArgument);
  });
});

describe.skipIf(!available)('NATS sink and records it cannot send', () => {
  it('a record too large for the stream stops the relay before anything after it is sent, and says which', async () => {
    const name = stream(uniqueName('toolarge'));
    await (await jetstreamManager(nc!)).streams.add({ name, subjects: [`${name}.>`], max_msg_size: 2000 });
    const { logger, errors } = recordingLogger();
    const { journal } = freshJournal({ logger });
    append(journal, 2);
    journal.append(coordinate('order:big', 'shop'), { type: 'OrderStep', data: { text: 'x'.repeat(5000) } });
    append(journal, 2, 3);
    const s = await connectNatsSink({ servers: NATS_URL, stream: name, subject: `${name}.{type}` });
    const failures: (number | undefined)[] = [];
    const relay = journal.sinkTo(s, { checkpointId: 'big', onError: (_e, at) => failures.push(at.position) });
    await expect(relay.join()).rejects.toMatchObject({ code: 'SINK_PUBLISH_FAILED', permanent: true });
    await s.close();
    const messages = await streamMessages(nc!, name);
    expect(messages.map((m) => m.header.get('causeway-position'))).toEqual(['1', '2']);
    expect(failures).toEqual([3]);
    expect(
      errors.find((e) => e.msg === 'sink refused an event for good; the relay stops')?.obj.position,
    ).toBe(3);
    expect(await relay.stats()).toMatchObject({
      position: 2,
      failing: true,
      lastError: expect.stringMatching(/larger than NATS takes/),
    });
  });

  it('counts the headers the client adds when it checks a record against the stream limit', async () => {
    const name = stream(uniqueName('boundary'));
    await (await jetstreamManager(nc!)).streams.add({ name, subjects: [`${name}.>`], max_msg_size: 2000 });
    // Event 3's body and its own headers come to exactly the limit; its Nats-Msg-Id header does not fit.
    const sizeOf = (r: SinkRecord) =>
      12 +
      r.payload.byteLength +
      [...Object.entries(r.headers), ['Content-Type', r.contentType]].reduce(
        (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v) + 4,
        0,
      );
    const probe = freshJournal().journal;
    probe.append(coordinate('o:1', 'shop'), { type: 'T', data: { blob: '' } });
    const pad = 2000 - sizeOf(sinkRecordOf(probe.readAll().events[0]));
    const { journal } = freshJournal();
    for (let i = 1; i <= 6; i++)
      journal.append(coordinate('o:1', 'shop'), {
        type: 'T',
        data: { blob: i === 3 ? 'x'.repeat(pad) : '' },
      });
    const s = await connectNatsSink({ servers: NATS_URL, stream: name, subject: `${name}.{type}` });
    const relay = journal.sinkTo(s, { checkpointId: 'boundary' });
    await expect(relay.join()).rejects.toMatchObject({ permanent: true });
    await s.close();
    expect((await streamMessages(nc!, name)).map((m) => m.header.get('causeway-position'))).toEqual([
      '1',
      '2',
    ]);
  });

  it('reads the stream limit again before refusing a record for it, so a raised limit lets it through', async () => {
    const name = stream(uniqueName('raised'));
    const jsm = await jetstreamManager(nc!);
    await jsm.streams.add({ name, subjects: [`${name}.>`], max_msg_size: 2000 });
    const s = await connectNatsSink({ servers: NATS_URL, stream: name, subject: `${name}.{type}` });
    const info = await jsm.streams.info(name);
    await jsm.streams.update(name, { ...info.config, max_msg_size: 100_000 });
    const { journal } = freshJournal();
    journal.append(coordinate('o:1', 'shop'), { type: 'T', data: { blob: 'x'.repeat(5000) } });
    const relay = journal.sinkTo(s, { checkpointId: 'raised' });
    await eventually(async () => (await relay.stats()).position === 1, 10_000, 'the large event');
    await relay.stopAndJoin();
    await s.close();
  });

  it('refuses for good a message header NATS would act on (Nats-Rollup, Nats-Expected-Stream ...)', async () => {
    const name = stream(uniqueName('reserved'));
    const s = await connectNatsSink({ servers: NATS_URL, stream: name, subject: `${name}.{type}` });
    const letters: string[] = [];
    const outbox = await Outbox.start(`sqlite:${path.join(tempDir(), 'outbox.db')}`, {
      queues: { toNats: { partitions: 1, delivery: sink(s) } },
      onDeadLetter: (l) => letters.push(l.messageId),
    });
    try {
      const [bad] = await outbox.enqueueAndCommit('toNats', [
        { type: 'T', payload: {}, headers: { 'Nats-Rollup': 'all' } },
      ]);
      await outbox.enqueueAndCommit('toNats', [{ type: 'T', payload: {} }]);
      await eventually(
        async () => (await streamMessages(nc!, name)).length === 1,
        10_000,
        'the good message',
      );
      expect(letters).toEqual([bad.id]);
    } finally {
      await outbox.stop();
      await s.close();
    }
  });

  it('a record larger than the connection takes is refused for good, not sent again and again', async () => {
    const name = stream(uniqueName('maxpayload'));
    const { journal } = freshJournal({ maxEventBytes: 4 << 20 });
    append(journal, 1);
    journal.append(coordinate('order:huge', 'shop'), {
      type: 'OrderStep',
      data: { text: 'x'.repeat(1_500_000) },
    });
    append(journal, 1, 2);
    const s = await connectNatsSink({ servers: NATS_URL, stream: name, subject: `${name}.{type}` });
    const relay = journal.sinkTo(s, { checkpointId: 'huge', retryBackoff: { initialMs: 1 } });
    await expect(relay.join()).rejects.toMatchObject({ permanent: true });
    expect((await relay.stats()).retries).toBe(0);
    await s.close();
    expect((await streamMessages(nc!, name)).map((m) => m.header.get('causeway-position'))).toEqual(['1']);
  });

  it('a trace context with a line break in the metadata stays behind; the event is published', async () => {
    const name = stream(uniqueName('crlf'));
    const { journal } = freshJournal();
    journal.append(coordinate('order:1', 'shop'), {
      type: 'OrderStep',
      data: {},
      metadata: { traceparent: 'x\r\nNats-Msg-Id: evil' },
    });
    const s = await connectNatsSink({ servers: NATS_URL, stream: name, subject: `${name}.{type}` });
    const relay = journal.sinkTo(s, { checkpointId: 'crlf' });
    await eventually(async () => (await relay.stats()).position === 1);
    await relay.stopAndJoin();
    await s.close();
    const [m] = await streamMessages(nc!, name);
    expect(m.header.get('traceparent')).toBe('');
    expect(m.header.get('Nats-Msg-Id')).toBe(journal.readAll().events[0].id);
  });

  it('a mirror whose last message expired or was deleted goes on after a restart', async () => {
    const name = stream(uniqueName('deleted'));
    // A short duplicate window, so the stream checks the restarted relay's first message itself.
    await (await jetstreamManager(nc!)).streams.add({
      name,
      subjects: [`${name}.>`],
      duplicate_window: 100_000_000,
    });
    const { journal } = freshJournal();
    append(journal, 5);
    const s = await connectNatsSink({
      servers: NATS_URL,
      stream: name,
      subject: `${name}.{type}`,
      mirror: true,
    });
    const first = journal.sinkTo(s);
    await eventually(async () => (await first.stats()).position === 5);
    await first.stopAndJoin();
    await (await jetstreamManager(nc!)).streams.purge(name); // as a max_age or max_msgs limit would
    await new Promise((r) => setTimeout(r, 300));
    append(journal, 2, 5);
    const again = journal.sinkTo(s);
    await eventually(async () => (await again.stats()).position === 7, 10_000, 'the relay to go on');
    await again.stopAndJoin();
    await s.close();
    expect((await streamMessages(nc!, name)).map((m) => m.seq)).toEqual([6, 7]);
  });

  it('refuses bad options and an unreachable server with typed errors', async () => {
    await expect(connectNatsSink(undefined as never)).rejects.toThrow(InvalidArgument);
    await expect(connectNatsSink({ stream: 'ok', servers: 5 as never })).rejects.toThrow(InvalidArgument);
    await expect(connectNatsSink({ stream: 'ok', mirror: 'yes' as never })).rejects.toThrow(InvalidArgument);
    await expect(connectNatsSink({ stream: 'ok', logger: 'x' as never })).rejects.toThrow(InvalidArgument);
    await expect(connectNatsSink({ stream: 'ok', ackTimeoutMs: 2 ** 31 })).rejects.toThrow(InvalidArgument);
    await expect(connectNatsSink({ stream: 'ok', connection: {} as never })).rejects.toThrow(InvalidArgument);
    await expect(
      connectNatsSink({ servers: NATS_URL, stream: uniqueName('absent'), createStream: false }),
    ).rejects.toThrow(/does not exist/);
    for (const subject of ['a.>', 'a.*.{type}', 'a..{type}', '.', 'a b.{type}', '{type'])
      await expect(connectNatsSink({ stream: 'ok', subject }), subject).rejects.toThrow(InvalidArgument);
    await expect(connectNatsSink({ stream: 'ok', servers: '127.0.0.1:1' })).rejects.toMatchObject({
      code: 'BROKER_UNAVAILABLE',
    });
    const { journal } = freshJournal();
    const s = { name: 'x', publish: async () => {}, close: async () => {} };
    for (const bad of [
      { checkpointId: '' },
      { checkpointId: 5 },
      { checkpointId: '../x' },
      { checkpointId: 'a', region: 'abc' },
    ])
      expect(() => journal.sinkTo(s, bad as never), JSON.stringify(bad)).toThrow(InvalidArgument);
  });
});

describe.skipIf(!available)('NATS sink with a broker that stops', () => {
  let own: Awaited<ReturnType<typeof createNats>>;
  beforeAll(async () => {
    own = await createNats();
  });
  afterAll(() => own?.remove());

  it('holds its batch while NATS is down, logs each retry, and loses nothing once it is back', async () => {
    const { logger, warnings } = recordingLogger();
    const { journal } = freshJournal({ logger });
    const name = uniqueName('outage');
    const s = await connectNatsSink({
      servers: own.url,
      stream: name,
      subject: `${name}.{type}`,
      mirror: true,
      ackTimeoutMs: 500,
    });
    const relay = journal.sinkTo(s, { batchSize: 20, retryBackoff: { initialMs: 50, maxMs: 200 } });
    append(journal, 100);
    await eventually(async () => (await relay.stats()).position === 100);
    await own.stop();
    append(journal, 100, 100);
    await eventually(async () => (await relay.stats()).failing, 20_000, 'the relay to notice');
    const during = await relay.stats();
    expect(during.lag).toBeGreaterThan(0);
    await own.start();
    await eventually(async () => (await relay.stats()).position === 200, 30_000, 'the relay to catch up');
    await relay.stopAndJoin();
    expect(
      warnings.some(
        (w) => w.msg === 'sink publish failed; it is tried again' && typeof w.obj.delayMs === 'number',
      ),
    ).toBe(true);
    const reader = await natsReader(own.url);
    const messages = await streamMessages(reader, name);
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    await s.close();
  });
});

describe.skipIf(!available)('an outbox queue published to NATS that stops', () => {
  it('retries through the outage with the outbox backoff, logs it, and publishes every message once, in order per key', async () => {
    const own = await createNats();
    const { logger, warnings } = recordingLogger();
    const name = uniqueName('outbox_outage');
    const s = await connectNatsSink({
      servers: own.url,
      stream: name,
      subject: `${name}.{type}`,
      ackTimeoutMs: 500,
    });
    const outbox = await Outbox.start(`sqlite:${path.join(tempDir(), 'outbox.db')}`, {
      queues: {
        toNats: {
          partitions: 2,
          delivery: sink(s, { retryBackoff: { initialMs: 50, maxMs: 200 }, maxAttempts: Infinity }),
        },
      },
      logger,
    });
    try {
      const enqueue = (from: number) =>
        outbox.enqueueAndCommit(
          'toNats',
          Array.from({ length: 50 }, (_, i) => ({
            type: 'Step',
            key: `k${(from + i) % 5}`,
            payload: { i: from + i },
          })),
        );
      await enqueue(0);
      await eventually(async () => (await outbox.stats())[0].depth === 0, 20_000, 'the first messages');
      await own.stop();
      await enqueue(50);
      await eventually(
        () => warnings.some((w) => w.msg === 'outbox delivery failed; it is tried again'),
        20_000,
        'a logged retry',
      );
      await own.start();
      await eventually(async () => (await outbox.stats())[0].depth === 0, 30_000, 'the rest');
      const reader = await natsReader(own.url);
      const messages = await streamMessages(reader, name);
      expect(new Set(messages.map((m) => m.header.get('Nats-Msg-Id'))).size).toBe(100);
      expect(messages).toHaveLength(100);
      for (let k = 0; k < 5; k++) {
        const steps = messages
          .filter((m) => m.header.get('causeway-key') === `k${k}`)
          .map((m) => m.json<{ i: number }>().i);
        expect(steps).toEqual([...steps].sort((a, b) => a - b));
      }
    } finally {
      await outbox.stop();
      await s.close().catch(() => {});
      await own.remove();
    }
  });
});

describe.skipIf(!available)('NATS mirror started while NATS is down', () => {
  it('asks the stream for its position again until NATS answers, then relays everything', async () => {
    const own = await createNats();
    try {
      const { logger, warnings } = recordingLogger();
      const { journal } = freshJournal({ logger });
      const name = uniqueName('late');
      const s = await connectNatsSink({
        servers: own.url,
        stream: name,
        subject: `${name}.{type}`,
        mirror: true,
      });
      append(journal, 30);
      await own.stop();
      const relay = journal.sinkTo(s, { retryBackoff: { initialMs: 50, maxMs: 200 } });
      await eventually(
        () => warnings.some((w) => w.msg === 'sink position unknown; it is asked again'),
        20_000,
      );
      await own.start();
      await eventually(async () => (await relay.stats()).position === 30, 30_000, 'the relay to catch up');
      await relay.stopAndJoin();
      await s.close();
    } finally {
      await own.remove();
    }
  });

  it('close() while NATS is down returns promptly, leaving nothing to keep the process alive', async () => {
    const own = await createNats();
    try {
      const name = uniqueName('closing');
      const s = await connectNatsSink({ servers: own.url, stream: name, subject: `${name}.{type}` });
      await own.stop();
      const started = Date.now();
      await s.close();
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await own.remove();
    }
  });

  it('a relay stopped while it waits for NATS ends at once', async () => {
    const own = await createNats();
    try {
      const { journal } = freshJournal();
      const name = uniqueName('stopped');
      const s = await connectNatsSink({
        servers: own.url,
        stream: name,
        subject: `${name}.{type}`,
        mirror: true,
      });
      await own.stop();
      const relay = journal.sinkTo(s, { retryBackoff: { initialMs: 10_000, maxMs: 10_000 } });
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      await relay.stopAndJoin();
      expect(Date.now() - started).toBeLessThan(8000);
      await s.close().catch(() => {});
    } finally {
      await own.remove();
    }
  });
});

describe('a sink that fails', () => {
  it('a journal relay retries from the first unacknowledged event, never past it', async () => {
    const { journal } = freshJournal();
    append(journal, 10);
    const seen: number[] = [];
    let failures = 2;
    const flaky = {
      name: 'flaky',
      async publish(records: readonly { position?: number }[]) {
        if (failures-- > 0) {
          seen.push(records[0].position!, records[1].position!);
          throw new SinkPublishFailed('flaky', 2, false, 'broker busy');
        }
        seen.push(...records.map((r) => r.position!));
      },
      close: async () => {},
    };
    const errors: number[] = [];
    const relay = journal.sinkTo(flaky, {
      checkpointId: 'flaky',
      retryBackoff: { initialMs: 1 },
      onError: (_e, at) => errors.push(at.position!),
    });
    await eventually(async () => (await relay.stats()).position === 10);
    await relay.stopAndJoin();
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(errors).toEqual([3, 5]);
    expect((await relay.stats()).retries).toBe(2);
  });
});

describe.skipIf(!available)('NATS relay killed mid-run', () => {
  for (const mode of ['mirror', 'checkpoint'] as const) {
    it(`${mode}: SIGKILLed while publishing and started again, the stream holds every event once, in order`, async () => {
      const { journal, dir } = freshJournal();
      const ids = append(journal, 1500);
      journal.close();
      const name = stream(uniqueName(`killed_${mode}`));
      const first = startChild(fixture('sink-relay.ts'), [dir, NATS_URL, name, mode]);
      await first.ready;
      await eventually(
        () => first.lines.some((l) => Number(l.split(' ')[1]) >= 300),
        30_000,
        'some progress',
      );
      first.proc.kill('SIGKILL');
      await first.exited;
      const second = startChild(fixture('sink-relay.ts'), [dir, NATS_URL, name, mode, 'exit']);
      await second.exited;
      const messages = await streamMessages(nc!, name);
      expect(messages.map((m) => m.header.get('Nats-Msg-Id'))).toEqual(ids);
      if (mode === 'mirror') expect(messages.map((m) => m.seq)).toEqual(ids.map((_, i) => i + 1));
    });
  }
});
