/**
 * Prometheus metrics of the outbox, the journal and its sink relays, through `prom-client` (an
 * optional peer dependency, loaded on first use).
 *
 * Every metric is collected when it is scraped: a scrape reads `outbox.stats()`,
 * `journal.watermarks()`, `journal.stats()`, the journal's checkpoints and `relay.stats()` once (all
 * the metrics of one scrape share that read), so the exposition always says what those methods
 * say, and nothing runs between scrapes.
 *
 * prom-client's types stay out of the signatures here: a `registry` is anything shaped like
 * prom-client's `Registry`, so importing `causewayjs/telemetry` needs no prom-client types.
 */
import type * as PromClient from 'prom-client';
import { InvalidArgument } from '../errors.js';
import type { SinkRelayStats } from '../journal/delivery/types.js';
import type { JournalStats, Watermark, Watermarks } from '../journal/types.js';
import { requireOptional } from '../optional-package.js';
import type { QueueStats } from '../outbox/types.js';
import { checkOptions, keys } from '../validation.js';

/**
 * Where metrics are registered and read from: a prom-client `Registry` (or anything with its shape).
 * Give your own (`client.register`, prom-client's global registry) to serve Causeway's metrics beside
 * your application's; without one, {@link prometheusMetrics} makes a registry of its own.
 */
export interface MetricsRegistry {
  /** Adds a metric (prom-client's `Registry.registerMetric`); throws when its name is taken. */
  registerMetric(metric: object): void;
  /** Removes a metric by name; {@link PrometheusMetrics.unregister} uses it when present. */
  removeSingleMetric?(name: string): void;
  /** Every registered metric in the text exposition format. */
  metrics(): Promise<string>;
  /** The exposition's content type (`text/plain; version=0.0.4; charset=utf-8`, or OpenMetrics). */
  readonly contentType: string;
}

/** What the metrics read of an outbox: an `Outbox` (with workers, or a producer) fits. */
export interface MetricsOutbox {
  stats(): Promise<readonly QueueStats[]>;
  /** Its table prefix: the `outbox` label unless a name is given. */
  readonly prefix?: string;
}

/** An outbox under a name of your choosing (the `outbox` label), for several outboxes with one prefix. */
export interface NamedMetricsOutbox {
  readonly outbox: MetricsOutbox;
  readonly name: string;
}

/** A consumer checkpoint: its id and the global position it resumes after. */
export interface CheckpointPosition {
  readonly id: string;
  readonly position: number;
}

/**
 * What the metrics read of a journal. The embedded `Journal` (writer or read-only), its `async`
 * view and a `PostgresJournal` fit. `checkpoints`, when present (both journals have it), gives the
 * consumer lag; a read-only embedded journal is caught up with its writer (`catchUp()`) before each
 * scrape.
 */
export interface MetricsJournal {
  watermarks(): Watermarks | Promise<Watermarks>;
  stats(): Pick<JournalStats, 'events' | 'streams'> | Promise<Pick<JournalStats, 'events' | 'streams'>>;
  checkpoints?(): readonly CheckpointPosition[] | Promise<readonly CheckpointPosition[]>;
  readonly readOnly?: boolean;
  catchUp?(): number;
}

/** A journal with a name (the `journal` label; default `journal`). */
export interface NamedMetricsJournal {
  readonly journal: MetricsJournal;
  readonly name?: string;
}

/** What the metrics read of a relay to a sink: the handle `journal.sinkTo(...)` returns fits. */
export interface MetricsRelay {
  /** The relay's name (the `relay` label): `sink:<checkpointId>` unless given to `sinkTo`. */
  readonly name: string;
  stats(): Promise<SinkRelayStats>;
}

/** Options of {@link prometheusMetrics}. */
export interface PrometheusMetricsOptions<R extends MetricsRegistry = MetricsRegistry> {
  /** Where to register the metrics. Default: a new prom-client `Registry` of their own. */
  registry?: R;
  /** Prefix of every metric name: letters, digits, `_` and `:`, not starting with a digit. Default `causeway_`. */
  prefix?: string;
  /** Outboxes whose queues to report (label `outbox`: the table prefix, or the name given; and `queue`). */
  outbox?: MetricsOutbox | NamedMetricsOutbox | readonly (MetricsOutbox | NamedMetricsOutbox)[];
  /** Journals to report (label `journal`: the name given, default `journal`; names must differ). */
  journal?: MetricsJournal | NamedMetricsJournal | readonly (MetricsJournal | NamedMetricsJournal)[];
  /** Relays from a journal to a sink (labels `sink` and `relay`). */
  relays?: readonly MetricsRelay[];
}

/** The registered metrics: the registry, its text exposition and content type. */
export interface PrometheusMetrics<R extends MetricsRegistry = MetricsRegistry> {
  readonly registry: R;
  /**
   * Everything in the registry in the text exposition format, read now. A source that cannot be
   * read (its database is down) fails the scrape with that error, so Prometheus records it as down.
   */
  metrics(): Promise<string>;
  /** The content type to serve {@link metrics} with. */
  readonly contentType: string;
  /** Removes these metrics from the registry (when it can remove metrics); nothing is read after. */
  unregister(): void;
}

type PromClientModule = typeof PromClient;

/** prom-client, or `DriverMissing` naming it. */
const loadPromClient = (): PromClientModule =>
  requireOptional<PromClientModule>('prom-client', 'Prometheus metrics');

/**
 * Throws `DriverMissing` when prom-client is not installed, for a caller (the CLI) that wants to
 * say so before opening anything. @internal
 */
export function requirePromClient(): void {
  loadPromClient();
}

/**
 * Registers Prometheus metrics of outboxes, journals and sink relays, collected on each scrape:
 *
 * Outbox, per queue (labels `outbox`, `queue`), from `outbox.stats()`:
 * - `outbox_depth`, `outbox_pending`, `outbox_lag` (gauges): messages not yet delivered, not yet
 *   sequenced, sequenced but not acknowledged;
 * - `outbox_oldest_age_seconds`, `outbox_dead_letters`, `outbox_retrying_partitions`,
 *   `outbox_cursors_ahead` (gauges);
 * - `outbox_delivered_total`, `outbox_retries_total`, `outbox_rejected_total`,
 *   `outbox_leases_lost_total` (counters of this process, since it started);
 * - `outbox_throughput_per_second` (gauge: this process, over the last 10 seconds);
 * - `outbox_handler_duration_seconds` (histogram): exactly the buckets, sum and count of
 *   `handlerDuration`.
 *
 * Journal (label `journal`), from `watermarks()`, `stats()` and its checkpoints:
 * - `journal_position` (the visible head), `journal_watermark{mark}` (accepted, written, durable,
 *   visible, applied), `journal_events`, `journal_streams`;
 * - `journal_consumer_lag{consumer}`: visible minus the checkpoint's position (negative for a
 *   checkpoint ahead of the journal).
 *
 * Sink relays (labels `sink`, `relay`), from `relay.stats()`: `sink_lag`, `sink_position`,
 * `sink_published_total`, `sink_retries_total` (since the relay started), `sink_failing` (0 or 1).
 *
 * Metrics are registered only for the kinds of sources given. Serve them from the application:
 *
 * ```ts
 * import http from 'node:http';
 * import { prometheusMetrics } from 'causewayjs/telemetry';
 *
 * const m = prometheusMetrics({ outbox, journal, relays: [relay] });
 * http.createServer(async (_, res) => { res.setHeader('content-type', m.contentType); res.end(await m.metrics()); }).listen(9464);
 * ```
 *
 * Throws `DriverMissing` when prom-client is not installed, and `InvalidArgument` for a bad prefix,
 * two sources with one name, or a metric name already taken in the registry.
 */
export function prometheusMetrics<R extends MetricsRegistry = MetricsRegistry>(
  options: PrometheusMetricsOptions<R> = {},
): PrometheusMetrics<R> {
  checkOptions(options, keys('registry', 'prefix', 'outbox', 'journal', 'relays'), 'metrics option');
  const prefix = options.prefix ?? 'causeway_';
  if (typeof prefix !== 'string' || !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(prefix))
    throw new InvalidArgument(
      'a metrics prefix is letters, digits, _ and :, not starting with a digit (default causeway_)',
      { prefix },
    );
  const sources = resolveSources(options);
  const client = loadPromClient();
  const registry = options.registry ?? (new client.Registry() as unknown as R);
  const read = sharedRead(sources);
  const registered: string[] = [];
  const register = (name: string, metric: object) => {
    try {
      registry.registerMetric(metric);
    } catch (err) {
      throw new InvalidArgument(
        `cannot register metric ${name}: ${(err as Error).message} (give another prefix or registry)`,
        { metric: name },
      );
    }
    registered.push(name);
  };
  const unregister = () => {
    for (const name of registered.splice(0)) registry.removeSingleMetric?.(name);
  };
  try {
    const families = [
      ...(sources.outboxes.length > 0 ? OUTBOX_FAMILIES : []),
      ...(sources.journals.length > 0 ? JOURNAL_FAMILIES : []),
      ...(sources.relays.length > 0 ? SINK_FAMILIES : []),
    ];
    for (const family of families) {
      const name = prefix + family.name;
      register(name, familyMetric(client, family, name, read));
    }
    if (sources.outboxes.length > 0) {
      const name = `${prefix}outbox_handler_duration_seconds`;
      register(name, handlerHistogram(name, read));
    }
  } catch (err) {
    unregister();
    throw err;
  }
  return {
    registry,
    metrics: () => registry.metrics(),
    get contentType() {
      return registry.contentType;
    },
    unregister,
  };
}

// ---------------------------------------------------------------- sources and the shared read

interface Sources {
  outboxes: { name: string; outbox: MetricsOutbox }[];
  journals: {
    name: string;
    journal: MetricsJournal;
    checkpoints: (() => readonly CheckpointPosition[] | Promise<readonly CheckpointPosition[]>) | null;
  }[];
  relays: MetricsRelay[];
}

/** What one scrape read, shared by every metric of that scrape. */
interface Snapshot {
  queues: { outbox: string; stats: QueueStats }[];
  journals: {
    journal: string;
    marks: Watermarks;
    stats: Pick<JournalStats, 'events' | 'streams'>;
    checkpoints: readonly CheckpointPosition[];
  }[];
  relays: { relay: string; stats: SinkRelayStats }[];
}

const list = <T>(v: T | readonly T[] | undefined): readonly T[] =>
  v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T];

/** True for `{ <key>: source, name }` rather than a source itself (which has `method`). */
function isNamed<N extends object>(v: object, key: keyof N & string, method: string): v is N {
  return (
    v !== null &&
    typeof v === 'object' &&
    key in v &&
    typeof (v as Record<string, unknown>)[method] !== 'function'
  );
}

function resolveSources(options: PrometheusMetricsOptions<MetricsRegistry>): Sources {
  const unique = (kind: string, names: string[], hint: string) => {
    const seen = new Set<string>();
    for (const name of names) {
      if (typeof name !== 'string' || name === '')
        throw new InvalidArgument(`a metrics ${kind} name is a non-empty string`, { [kind]: name });
      if (seen.has(name))
        throw new InvalidArgument(`two metrics ${kind}s are named ${JSON.stringify(name)}: ${hint}`, {
          [kind]: name,
        });
      seen.add(name);
    }
  };
  const outboxes = list(options.outbox).map((o) => {
    if (isNamed<NamedMetricsOutbox>(o, 'outbox', 'stats')) return { name: o.name, outbox: o.outbox };
    const outbox = o;
    if (typeof outbox?.stats !== 'function')
      throw new InvalidArgument('metrics outbox needs an Outbox (something with stats())');
    return { name: outbox.prefix ?? 'outbox', outbox };
  });
  unique(
    'outbox',
    outboxes.map((o) => o.name),
    'give each a name ({ outbox, name })',
  );
  const journals = list(options.journal).map((j) => {
    const named = isNamed<NamedMetricsJournal>(j, 'journal', 'watermarks');
    const journal = named ? j.journal : j;
    if (typeof journal?.watermarks !== 'function' || typeof journal.stats !== 'function')
      throw new InvalidArgument('metrics journal needs a journal (something with watermarks() and stats())');
    return {
      name: (named ? j.name : undefined) ?? 'journal',
      journal,
      checkpoints: typeof journal.checkpoints === 'function' ? () => journal.checkpoints!() : null,
    };
  });
  unique(
    'journal',
    journals.map((j) => j.name),
    'give each a name ({ journal, name })',
  );
  const relays = [...(options.relays ?? [])];
  for (const r of relays)
    if (typeof r?.stats !== 'function')
      throw new InvalidArgument('metrics relays are the handles journal.sinkTo(...) returns');
  unique(
    'relay',
    relays.map((r) => r.name),
    'give each sinkTo a distinct name',
  );
  return { outboxes, journals, relays };
}

/**
 * One read of every source for every metric of a scrape: prom-client asks each metric for its
 * values at once (synchronously, before any of them awaits), so they all join the read in flight.
 * The next scrape, starting after it settled, reads afresh.
 */
function sharedRead(sources: Sources): () => Promise<Snapshot> {
  let inFlight: Promise<Snapshot> | null = null;
  return () => {
    if (inFlight) return inFlight;
    const current = readAll(sources);
    inFlight = current;
    const clear = () => {
      if (inFlight === current) inFlight = null;
    };
    current.then(clear, clear);
    return current;
  };
}

async function readAll(sources: Sources): Promise<Snapshot> {
  const [queues, journals, relays] = await Promise.all([
    Promise.all(
      sources.outboxes.map(async ({ name, outbox }) =>
        (await outbox.stats()).map((stats) => ({ outbox: name, stats })),
      ),
    ),
    Promise.all(
      sources.journals.map(async ({ name, journal, checkpoints }) => {
        if (journal.readOnly === true && typeof journal.catchUp === 'function') journal.catchUp();
        const [marks, stats, saved] = await Promise.all([
          journal.watermarks(),
          journal.stats(),
          checkpoints ? checkpoints() : [],
        ]);
        return { journal: name, marks, stats, checkpoints: saved };
      }),
    ),
    Promise.all(sources.relays.map(async (r) => ({ relay: r.name, stats: await r.stats() }))),
  ]);
  return { queues: queues.flat(), journals, relays };
}

// ---------------------------------------------------------------- metric families

type Labels = Record<string, string>;

/** A gauge or counter: its name (after the prefix), help, labels and values from a snapshot. */
interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly labels: readonly string[];
  values(s: Snapshot): [Labels, number][];
}

const queueFamily = (
  name: string,
  type: Family['type'],
  help: string,
  value: (q: QueueStats) => number,
): Family => ({
  name,
  help,
  type,
  labels: ['outbox', 'queue'],
  values: (s) => s.queues.map((q) => [{ outbox: q.outbox, queue: q.stats.queue }, value(q.stats)]),
});

const OUTBOX_FAMILIES: readonly Family[] = [
  queueFamily('outbox_depth', 'gauge', 'Messages not yet delivered (pending + lag).', (q) => q.depth),
  queueFamily('outbox_pending', 'gauge', 'Messages enqueued, not yet sequenced.', (q) => q.pending),
  queueFamily('outbox_lag', 'gauge', 'Messages sequenced, not yet acknowledged.', (q) => q.lag),
  queueFamily(
    'outbox_oldest_age_seconds',
    'gauge',
    'Age of the oldest undelivered message, by the database clock (0 when empty).',
    (q) => q.oldestAgeMs / 1000,
  ),
  queueFamily('outbox_dead_letters', 'gauge', 'Dead letters of the queue.', (q) => q.deadLetters),
  queueFamily(
    'outbox_retrying_partitions',
    'gauge',
    'Partitions whose head message has failed at least once.',
    (q) => q.retryingPartitions,
  ),
  queueFamily(
    'outbox_cursors_ahead',
    'gauge',
    'Partitions whose acknowledged position is past their last message (should be 0).',
    (q) => q.cursorsAhead,
  ),
  queueFamily('outbox_delivered_total', 'counter', 'Messages this process acknowledged.', (q) => q.delivered),
  queueFamily('outbox_retries_total', 'counter', 'Retries this process scheduled.', (q) => q.retries),
  queueFamily(
    'outbox_rejected_total',
    'counter',
    'Messages this process moved to the dead letters.',
    (q) => q.rejected,
  ),
  queueFamily('outbox_leases_lost_total', 'counter', 'Leases this process lost.', (q) => q.leasesLost),
  queueFamily(
    'outbox_throughput_per_second',
    'gauge',
    'Messages this process acknowledged per second over the last 10 seconds.',
    (q) => q.throughputPerSec,
  ),
];

const MARKS: readonly Watermark[] = ['accepted', 'written', 'durable', 'visible', 'applied'];

const JOURNAL_FAMILIES: readonly Family[] = [
  {
    name: 'journal_position',
    help: 'Global position of the last visible event.',
    type: 'gauge',
    labels: ['journal'],
    values: (s) => s.journals.map((j) => [{ journal: j.journal }, j.marks.visible]),
  },
  {
    name: 'journal_watermark',
    help: 'Global position each watermark has reached.',
    type: 'gauge',
    labels: ['journal', 'mark'],
    values: (s) =>
      s.journals.flatMap((j) =>
        MARKS.map((mark): [Labels, number] => [{ journal: j.journal, mark }, j.marks[mark]]),
      ),
  },
  {
    name: 'journal_events',
    help: 'Events in the journal.',
    type: 'gauge',
    labels: ['journal'],
    values: (s) => s.journals.map((j) => [{ journal: j.journal }, j.stats.events]),
  },
  {
    name: 'journal_streams',
    help: 'Streams in the journal.',
    type: 'gauge',
    labels: ['journal'],
    values: (s) => s.journals.map((j) => [{ journal: j.journal }, j.stats.streams]),
  },
  {
    name: 'journal_consumer_lag',
    help: "Visible events after a consumer checkpoint's position (negative: the checkpoint is ahead of the journal).",
    type: 'gauge',
    labels: ['journal', 'consumer'],
    values: (s) =>
      s.journals.flatMap((j) =>
        j.checkpoints.map((c): [Labels, number] => [
          { journal: j.journal, consumer: c.id },
          j.marks.visible - c.position,
        ]),
      ),
  },
];

const relayFamily = (
  name: string,
  type: Family['type'],
  help: string,
  value: (r: SinkRelayStats) => number,
): Family => ({
  name,
  help,
  type,
  labels: ['sink', 'relay'],
  values: (s) => s.relays.map((r) => [{ sink: r.stats.sink, relay: r.relay }, value(r.stats)]),
});

const SINK_FAMILIES: readonly Family[] = [
  relayFamily('sink_lag', 'gauge', 'Visible journal events the sink has not acknowledged.', (r) => r.lag),
  relayFamily('sink_position', 'gauge', 'Last journal position the sink acknowledged.', (r) => r.position),
  relayFamily(
    'sink_published_total',
    'counter',
    'Events the sink acknowledged through this relay since it started.',
    (r) => r.published,
  ),
  relayFamily('sink_retries_total', 'counter', 'Failed publishes tried again.', (r) => r.retries),
  relayFamily('sink_failing', 'gauge', '1 while the last publish failed and is being retried.', (r) =>
    r.failing ? 1 : 0,
  ),
];

/**
 * A prom-client gauge or counter whose values are set from the scrape's snapshot: reset (so a queue
 * or checkpoint that is gone disappears) and set anew. A counter cannot be set, so it is reset and
 * incremented by the value, which is the process's own running total.
 */
function familyMetric(
  client: PromClientModule,
  family: Family,
  name: string,
  read: () => Promise<Snapshot>,
): object {
  const labelNames = [...family.labels];
  if (family.type === 'gauge')
    return new client.Gauge({
      name,
      help: family.help,
      labelNames,
      registers: [],
      async collect() {
        const values = family.values(await read());
        this.reset();
        for (const [labels, value] of values) this.set(labels, value);
      },
    });
  return new client.Counter({
    name,
    help: family.help,
    labelNames,
    registers: [],
    async collect() {
      const values = family.values(await read());
      this.reset();
      for (const [labels, value] of values) this.inc(labels, value);
    },
  });
}

/**
 * The handler duration histogram as prom-client's registry reads metrics (`get()` → name, help,
 * type and values). A prom-client `Histogram` only grows by observations, and the outbox hands over
 * its cumulative buckets, sum and count instead: this collector exposes exactly those, with the
 * `+Inf` bucket equal to the count.
 */
function handlerHistogram(name: string, read: () => Promise<Snapshot>): object {
  const help = 'How long handler calls (a message, or a batch) took in this process.';
  const metric = {
    name,
    help,
    type: 'histogram' as const,
    aggregator: 'sum' as const,
    async get() {
      const snapshot = await read();
      const values: { metricName: string; labels: Record<string, string>; value: number }[] = [];
      for (const { outbox, stats } of snapshot.queues) {
        const labels = { outbox, queue: stats.queue };
        const h = stats.handlerDuration;
        for (const b of h.buckets)
          values.push({
            metricName: `${metric.name}_bucket`,
            labels: { ...labels, le: String(b.le) },
            value: b.count,
          });
        values.push({
          metricName: `${metric.name}_bucket`,
          labels: { ...labels, le: '+Inf' },
          value: h.count,
        });
        values.push({ metricName: `${metric.name}_sum`, labels, value: h.sum });
        values.push({ metricName: `${metric.name}_count`, labels, value: h.count });
      }
      return { name: metric.name, help, type: metric.type, values, aggregator: metric.aggregator };
    },
    /** The values are the outbox's: there is nothing here to reset. */
    reset() {},
  };
  return metric;
}
