/**
 * OpenTelemetry, when the application has it: `@opentelemetry/api` is an optional peer, loaded on
 * first use. Without it (or without a registered SDK) every function here does nothing measurable.
 *
 * What Causeway records:
 * - an append or an enqueue runs in a PRODUCER span (`send <scope|queue>`) and stores that span's
 *   W3C `traceparent` in the event's metadata or the message's headers (never overwriting one the
 *   caller set);
 * - an outbox handler, a reactor, a cursor worker's handler and a sink's publish run in a CONSUMER
 *   or PRODUCER span (`process <queue>`, `send <sink>`) linked to the contexts of what they handle
 *   (the parent, for one message);
 * - a sequencing round and the SQL statements run within a traced operation get spans of their own
 *   (database client spans only when a parent span is active, so background polling makes none).
 *
 * Attribute names follow the OpenTelemetry semantic conventions for messaging and database spans.
 */
import { createRequire } from 'node:module';

type OtelApi = typeof import('@opentelemetry/api');
type SpanContext = import('@opentelemetry/api').SpanContext;
type Context = import('@opentelemetry/api').Context;
type Link = import('@opentelemetry/api').Link;

const require = createRequire(import.meta.url);
let loaded: OtelApi | null | undefined;

function otel(): OtelApi | null {
  if (loaded === undefined) {
    try {
      loaded = require('@opentelemetry/api') as OtelApi;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

/** A span's kind, as the conventions name them. */
export type SpanKind = 'producer' | 'consumer' | 'client' | 'internal';

export interface SpanOptions {
  readonly kind: SpanKind;
  readonly attributes?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** W3C trace headers (`traceparent`, `tracestate`) of what the span handles: links, or the parent. */
  readonly from?: readonly (Readonly<Record<string, unknown>> | undefined)[];
  /** Make the only `from` context the parent instead of a link (one message handled alone). */
  readonly parentFromSingle?: boolean;
  /**
   * When the span is made: `active`, only within a span already active (appends, enqueues and
   * statements of a traced request); `linked`, only when something handled carries a trace context
   * (deliveries of traced messages); `always`. Untraced work so makes no spans.
   */
  readonly when: 'active' | 'linked' | 'always';
}

/** Most links one span carries; a larger batch links its first ones. */
const MAX_LINKS = 128;

/**
 * Runs `fn` in a span called `name`, ending it when `fn` settles (an error is recorded and the span
 * marked failed). Synchronous `fn` stays synchronous.
 */
export function inSpan<T>(name: string, options: SpanOptions, fn: () => T): T {
  const api = otel();
  if (!api) return fn();
  const active = api.context.active();
  if (options.when === 'active' && !api.trace.getSpan(active)?.isRecording()) return fn();
  const extracted = (options.from ?? [])
    .map((h) => spanContextOf(api, h))
    .filter((c) => c !== undefined)
    .slice(0, MAX_LINKS);
  if (options.when === 'linked' && extracted.length === 0) return fn();
  if (options.when === 'always' && !tracing(api)) return fn();
  let parent: Context = active;
  let links: Link[] = extracted.map((context) => ({ context }));
  if (options.parentFromSingle && extracted.length === 1 && options.from?.length === 1) {
    parent = api.trace.setSpanContext(active, extracted[0]);
    links = [];
  }
  const tracer = api.trace.getTracer('causewayjs');
  const span = tracer.startSpan(
    name,
    { kind: KINDS[options.kind](api), attributes: clean(options.attributes), links },
    parent,
  );
  const fail = (err: unknown) => {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: api.SpanStatusCode.ERROR, message: (err as Error)?.message });
  };
  let result: T;
  try {
    result = api.context.with(api.trace.setSpan(parent, span), fn);
  } catch (err) {
    fail(err);
    span.end();
    throw err;
  }
  if (result instanceof Promise)
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (err) => {
        fail(err);
        span.end();
        throw err;
      },
    ) as T;
  span.end();
  return result;
}

/** True when the application registered a tracer provider (an SDK), not the API's no-op one. */
function tracing(api: OtelApi): boolean {
  const provider = api.trace.getTracerProvider() as { getDelegate?: () => object };
  return (provider.getDelegate?.() ?? provider).constructor?.name !== 'NoopTracerProvider';
}

const KINDS: Record<SpanKind, (api: OtelApi) => number> = {
  producer: (api) => api.SpanKind.PRODUCER,
  consumer: (api) => api.SpanKind.CONSUMER,
  client: (api) => api.SpanKind.CLIENT,
  internal: (api) => api.SpanKind.INTERNAL,
};

function clean(attributes: SpanOptions['attributes']): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(attributes ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * `carrier` with the active span's `traceparent` (and `tracestate`) added, when a span is active
 * and the carrier has no `traceparent` of its own; otherwise `carrier` itself.
 */
export function withTraceContext<C extends Record<string, unknown>>(carrier: C | undefined): C | undefined {
  const api = otel();
  if (!api || (carrier && 'traceparent' in carrier)) return carrier;
  const context = api.trace.getSpan(api.context.active())?.spanContext();
  if (!context || !api.trace.isSpanContextValid(context)) return carrier;
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, '0');
  const headers: Record<string, string> = { traceparent: `00-${context.traceId}-${context.spanId}-${flags}` };
  const state = context.traceState?.serialize();
  if (state) headers.tracestate = state;
  return { ...carrier, ...headers } as C;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span context a W3C `traceparent` header names, or undefined. */
function spanContextOf(
  api: OtelApi,
  headers: Readonly<Record<string, unknown>> | undefined,
): SpanContext | undefined {
  const m = typeof headers?.traceparent === 'string' ? TRACEPARENT.exec(headers.traceparent) : null;
  if (!m || m[1] === 'ff') return undefined;
  const context: SpanContext = {
    traceId: m[2],
    spanId: m[3],
    traceFlags: Number.parseInt(m[4], 16),
    isRemote: true,
  };
  return api.trace.isSpanContextValid(context) ? context : undefined;
}

/**
 * The semantic conventions' messaging attributes of a span: `send` (an append, an enqueue, a
 * publish) or `process` (a delivery), to or from `destination` (a scope, a queue, a sink).
 */
export function messagingSpan(
  operation: 'send' | 'process',
  name: string,
  destination: string,
  count: number,
  system = 'causeway',
): SpanOptions['attributes'] {
  return {
    'messaging.system': system,
    'messaging.operation.type': operation,
    'messaging.operation.name': name,
    'messaging.destination.name': destination,
    'messaging.batch.message_count': count > 1 ? count : undefined,
  };
}

const DB_SYSTEMS = { postgres: 'postgresql', mysql: 'mysql', sqlite: 'sqlite' } as const;

/**
 * A statement run in a database CLIENT span, when a traced operation runs it: `db.system.name`,
 * `db.operation.name` and the statement text with its placeholders (never the values).
 */
export function inStatementSpan<T>(dialect: keyof typeof DB_SYSTEMS, sql: string, fn: () => T): T {
  const api = otel();
  if (!api?.trace.getSpan(api.context.active())?.isRecording()) return fn(); // the common case, kept cheap
  const operation = /^\s*(?:WITH\b[\s\S]*?\)\s*)?([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
  return inSpan(
    `${operation} ${DB_SYSTEMS[dialect]}`,
    {
      kind: 'client',
      when: 'active',
      attributes: {
        'db.system.name': DB_SYSTEMS[dialect],
        'db.operation.name': operation,
        'db.query.text': sql,
      },
    },
    fn,
  );
}
