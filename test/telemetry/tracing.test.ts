import path from 'node:path';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  coordinate,
  leased,
  type Message,
  Outbox,
  openPostgresJournal,
  Result,
  type SinkRecord,
} from '../../src/index.js';
import { freshJournal, tempDir } from '../helpers.js';
import { journalSchemas } from '../journal/postgres/schemas.js';
import { PG_URL } from '../outbox/databases.js';
import { eventually } from '../sinks/brokers.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
const contextManager = new AsyncLocalStorageContextManager().enable();
context.setGlobalContextManager(contextManager);
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const tracer = trace.getTracer('test');
const spans = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);
const only = (name: string): ReadableSpan => {
  const found = spans(name);
  expect(found, name).toHaveLength(1);
  return found[0];
};
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
const traceparentOf = (s: ReadableSpan) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`;

/** A sink that keeps what it is given. */
function memorySink() {
  const records: SinkRecord[] = [];
  return {
    records,
    sink: {
      name: 'mem:test',
      publish: async (batch: readonly SinkRecord[]) => void records.push(...batch),
      close: async () => {},
    },
  };
}

describe('OpenTelemetry tracing', () => {
  it('follows a request through an append, a reactor and a sink: parents and links name the right spans', async () => {
    const { journal } = freshJournal();
    const reactor = journal.reactor({
      name: 'billing',
      handlers: {
        OrderPlaced: (e) => ({
          coordinate: coordinate(`invoice:${e.entity}`, 'billing'),
          event: { type: 'InvoiceRequested', data: { order: e.entity } },
        }),
      },
    });
    const request = tracer.startActiveSpan('request', (span) => {
      journal.append(coordinate('order:1', 'shop'), { type: 'OrderPlaced', data: { total: 5 } });
      span.end();
      return span;
    });
    await eventually(() => journal.readAll().events.length === 2, 10_000, 'the reaction');
    await reactor.stopAndJoin();
    const { records, sink } = memorySink();
    const relay = journal.sinkTo(sink, { checkpointId: 'mem' });
    await eventually(() => records.length === 2, 10_000, 'published records');
    await relay.stopAndJoin();

    const traceId = request.spanContext().traceId;
    const append = only('send shop');
    expect(append.kind).toBe(SpanKind.PRODUCER);
    expect(append.spanContext().traceId).toBe(traceId);
    expect(parentOf(append)).toBe(request.spanContext().spanId);
    expect(append.attributes).toMatchObject({
      'messaging.system': 'causeway',
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'shop',
    });
    const [placed, invoice] = journal.readAll().events;
    expect(placed.metadata?.traceparent).toBe(traceparentOf(append));

    // The reactor's span continues the append's trace; the reaction is appended within it.
    const react = only('react billing');
    expect(react.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(react)).toBe(append.spanContext().spanId);
    const reactionAppend = only('send billing');
    expect(parentOf(reactionAppend)).toBe(react.spanContext().spanId);
    expect(invoice.metadata?.traceparent).toBe(traceparentOf(reactionAppend));

    // The relay's span links to both appends; its publish runs inside it and carries their contexts.
    const publish = only('send mem:test');
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    const linked = publish.links.map((l) => l.context.spanId);
    expect(linked).toEqual([append.spanContext().spanId, reactionAppend.spanContext().spanId]);
    const relayBatch = only('process sink:mem');
    expect(parentOf(publish)).toBe(relayBatch.spanContext().spanId);
    expect(records.map((r) => r.headers.traceparent)).toEqual([
      placed.metadata?.traceparent,
      invoice.metadata?.traceparent,
    ]);
  });

  it('an idempotent retry from another trace returns the first receipt', () => {
    const { journal } = freshJournal();
    const append = () =>
      journal.append(
        coordinate('order:2', 'shop'),
        { type: 'OrderPlaced', data: {} },
        { idempotencyKey: 'k1' },
      );
    const first = tracer.startActiveSpan('first', (s) => {
      const r = append();
      s.end();
      return r;
    });
    const again = tracer.startActiveSpan('second', (s) => {
      const r = append();
      s.end();
      return r;
    });
    expect(again.id).toBe(first.id);
    expect(again.deduplicated).toBe(true);
  });

  it('untraced appends carry no trace context and make no spans', () => {
    const { journal } = freshJournal();
    journal.append(coordinate('order:3', 'shop'), { type: 'OrderPlaced', data: {} }, {});
    expect(journal.readAll().events[0].metadata).toBeUndefined();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('an enqueue records its span in the headers; the handler runs as its child, statements as client spans', async () => {
    const received: Message[] = [];
    const outbox = await Outbox.start(`sqlite:${path.join(tempDir(), 'outbox.db')}`, {
      queues: {
        mails: {
          partitions: 1,
          delivery: leased(async (m) => {
            received.push(m);
            tracer.startSpan('inside handler').end();
            return Result.ok();
          }),
        },
      },
    });
    try {
      await tracer.startActiveSpan('request', async (span) => {
        await outbox.enqueueAndCommit('mails', [{ type: 'Welcome', payload: {}, headers: { lang: 'en' } }]);
        span.end();
      });
      await eventually(() => received.length === 1, 10_000, 'the delivery');
      const enqueue = only('send mails');
      expect(received[0].headers).toEqual({ lang: 'en', traceparent: traceparentOf(enqueue) });
      const handler = only('process mails');
      expect(handler.kind).toBe(SpanKind.CONSUMER);
      expect(parentOf(handler)).toBe(enqueue.spanContext().spanId);
      expect(handler.attributes).toMatchObject({
        'messaging.destination.name': 'mails',
        'messaging.message.id': received[0].id,
      });
      expect(parentOf(only('inside handler'))).toBe(handler.spanContext().spanId);
      const statements = exporter
        .getFinishedSpans()
        .filter(
          (s) => s.attributes['db.system.name'] === 'sqlite' && parentOf(s) === enqueue.spanContext().spanId,
        );
      expect(statements.length).toBeGreaterThan(0);
      expect(
        statements.every(
          (s) => s.kind === SpanKind.CLIENT && typeof s.attributes['db.query.text'] === 'string',
        ),
      ).toBe(true);
    } finally {
      await outbox.stop();
    }
  });
});

const pg = await journalSchemas();

describe.skipIf(!pg.available)('OpenTelemetry tracing on the PostgreSQL journal', () => {
  it('an append in a request records its span, and the sequencing round that positions it has a span', async () => {
    const journal = await openPostgresJournal(PG_URL, { schema: pg.newSchema('traced') });
    try {
      const request = await tracer.startActiveSpan('request', async (span) => {
        await journal.append(coordinate('order:1', 'shop'), { type: 'OrderPlaced', data: {} });
        span.end();
        return span;
      });
      const append = only('send shop');
      expect(parentOf(append)).toBe(request.spanContext().spanId);
      const [event] = (await journal.readAll()).events;
      expect(event.metadata?.traceparent).toBe(traceparentOf(append));
      const statements = exporter
        .getFinishedSpans()
        .filter(
          (s) =>
            s.attributes['db.system.name'] === 'postgresql' && parentOf(s) === append.spanContext().spanId,
        );
      expect(statements.length).toBeGreaterThan(0);
      await eventually(() => spans('sequence_round postgresql').length > 0, 5000, 'a round span');
      expect(spans('sequence_round postgresql')[0].attributes['causeway.journal.events']).toBeGreaterThan(0);
    } finally {
      await journal.close();
    }
  });
});
