/**
 * The dashboard's JSON API: what the page reads and the actions it takes, each through the same
 * library calls as the CLI. Every parameter is checked here; no SQL is built from a request.
 */
import {
  CausewayError,
  EventNotFound,
  InvalidArgument,
  InvalidCoordinate,
  UnknownQueue,
} from '../../errors.js';
import type { StoredEvent } from '../../journal/index.js';
import type { DeadLetterFilter, Outbox } from '../../outbox/index.js';
import type { SourceJournal } from '../journal-source.js';
import type { QueueHistory } from './history.js';
import type { Verifier } from './verifier.js';

/** What the dashboard shows: an outbox, a journal, or both. */
export interface DashboardSources {
  readonly outbox?: Outbox;
  /** The outbox's figures over time, for the charts. */
  readonly history?: QueueHistory;
  /** Verification of the journal's hash chains, one at a time. */
  readonly verifier?: Verifier;
  readonly journal?: SourceJournal;
  /**
   * Called before the journal is read, so a journal directory opened read-only follows its writer
   * (`journal.catchUp()`).
   */
  readonly catchUp?: () => void;
  /** Refuse the actions (redrive, discard, purge). */
  readonly readOnly?: boolean;
}

/** One request, as the server hands it over. */
export interface ApiRequest {
  readonly method: string;
  /** The path below `/api`, split at `/` and decoded: `['journal', 'events', '<id>']`. */
  readonly path: readonly string[];
  readonly query: URLSearchParams;
  /** The parsed JSON body of a POST, or undefined. */
  readonly body: unknown;
}

export interface ApiResponse {
  readonly status: number;
  readonly json: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Most dead letters, streams or events one request returns. */
const MAX_LIMIT = 1000;
/** Most nodes of a causal graph one request returns. */
const MAX_GRAPH = 500;

/** Answers one API request; failures become `{ code, message }` with a fitting status. */
export async function answer(sources: DashboardSources, req: ApiRequest): Promise<ApiResponse> {
  try {
    const onPath = ROUTES.filter((r) => matches(r.path, req.path));
    const route = onPath.find((r) => r.method === req.method);
    if (!route && onPath.length > 0)
      return {
        status: 405,
        headers: { allow: onPath.map((r) => r.method).join(', ') },
        json: {
          code: 'METHOD_NOT_ALLOWED',
          message: `${req.path.join('/')} takes ${onPath.map((r) => r.method).join(' or ')}`,
        },
      };
    if (!route) return { status: 404, json: { code: 'NOT_FOUND', message: 'no such API route' } };
    if (route.action && sources.readOnly)
      return { status: 403, json: { code: 'READ_ONLY', message: 'the dashboard was started read-only' } };
    return { status: 200, json: await route.run(sources, req) };
  } catch (err) {
    if (err instanceof InvalidArgument || err instanceof InvalidCoordinate) return failure(400, err);
    if (err instanceof EventNotFound || err instanceof UnknownQueue || err instanceof Missing)
      return failure(404, err);
    if (err instanceof CausewayError) return failure(500, err);
    throw err;
  }
}

const failure = (status: number, err: CausewayError | Missing): ApiResponse => ({
  status,
  json: { code: err instanceof CausewayError ? err.code : 'NOT_FOUND', message: err.message },
});

/** What a route needs that this dashboard was not given (no outbox, no journal). */
class Missing extends Error {}

interface Route {
  readonly method: 'GET' | 'POST';
  /** Segments; `:name` matches any one. */
  readonly path: readonly string[];
  /** An action changes something: refused when read-only. */
  readonly action?: true;
  run(sources: DashboardSources, req: ApiRequest): Promise<unknown>;
}

const matches = (pattern: readonly string[], path: readonly string[]) =>
  pattern.length === path.length && pattern.every((p, i) => p.startsWith(':') || p === path[i]);

const outboxOf = (s: DashboardSources): Outbox => {
  if (!s.outbox) throw new Missing('this dashboard shows no outbox');
  return s.outbox;
};
const journalOf = (s: DashboardSources): SourceJournal => {
  if (!s.journal) throw new Missing('this dashboard shows no journal');
  s.catchUp?.();
  return s.journal;
};

const verifierOf = (s: DashboardSources): Verifier => {
  if (!s.verifier) throw new Missing('this dashboard shows no journal');
  return s.verifier;
};

const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: ['overview'],
    run: async (s) => ({
      readOnly: s.readOnly === true,
      outbox: s.outbox ? { queues: await s.outbox.stats() } : null,
      journal: s.journal
        ? { stats: await journalOf(s).stats(), watermarks: await s.journal.watermarks() }
        : null,
    }),
  },
  {
    method: 'GET',
    path: ['history'],
    run: async (s) => {
      if (!s.history) throw new Missing('this dashboard shows no outbox');
      return { intervalMs: s.history.intervalMs, samples: s.history.samples() };
    },
  },
  {
    // Every partition is read (a queue has at most 10,000), so the stuck count and the stuck-first
    // order cover the whole queue; the page gets one slice.
    method: 'GET',
    path: ['partitions'],
    run: async (s, req) => {
      const q = params(req.query, ['queue', 'offset', 'limit', 'stuckAfterMs', 'stuckOnly']);
      const queue = q.text('queue');
      if (queue === undefined) throw new InvalidArgument('partitions needs a queue');
      const all = await outboxOf(s).partitions(queue, {
        limit: 10_000,
        stuckAfterMs: q.integer('stuckAfterMs', 0, Number.MAX_SAFE_INTEGER),
      });
      const stuck = all.filter((p) => p.stuck !== null);
      const listed = q.flag('stuckOnly') ? stuck : [...stuck, ...all.filter((p) => p.stuck === null)];
      const offset = q.integer('offset', 0, 10_000) ?? 0;
      return {
        total: listed.length,
        stuck: stuck.length,
        partitions: listed.slice(offset, offset + (q.integer('limit', 1, MAX_LIMIT) ?? 200)),
      };
    },
  },
  {
    method: 'GET',
    path: ['dead-letters'],
    run: async (s, req) => {
      const q = params(req.query, ['queue', 'type', 'partition', 'olderThanMs', 'limit']);
      return outboxOf(s).deadLetters.list({ ...filterOf(q), limit: q.integer('limit', 1, MAX_LIMIT) ?? 100 });
    },
  },
  {
    method: 'POST',
    path: ['dead-letters', 'redrive'],
    action: true,
    run: async (s, req) => {
      const b = body(req.body, ['queue', 'type', 'partition', 'olderThanMs', 'ids', 'toQueue']);
      const filter = filterOf(b);
      if (Object.keys(filter).length === 0)
        throw new InvalidArgument('redrive needs ids or a filter (queue, type, partition or olderThanMs)');
      const redriven = await outboxOf(s).deadLetters.redrive({ ...filter, toQueue: b.text('toQueue') });
      return { redriven };
    },
  },
  {
    method: 'POST',
    path: ['dead-letters', 'discard'],
    action: true,
    run: async (s, req) => {
      const b = body(req.body, ['ids']);
      const ids = b.ids('ids');
      if (!ids || ids.length === 0)
        throw new InvalidArgument('discard needs ids: the dead letters to remove');
      return { discarded: await outboxOf(s).deadLetters.discard(ids) };
    },
  },
  {
    method: 'POST',
    path: ['dead-letters', 'purge'],
    action: true,
    run: async (s, req) => {
      const b = body(req.body, ['queue', 'type', 'partition', 'olderThanMs']);
      const filter = filterOf(b);
      if (Object.keys(filter).length === 0)
        throw new InvalidArgument('purge needs a filter (queue, type, partition or olderThanMs)');
      return { purged: await outboxOf(s).deadLetters.purge(filter) };
    },
  },
  {
    method: 'GET',
    path: ['journal', 'streams'],
    run: async (s, req) => {
      const q = params(req.query, ['prefix', 'limit']);
      const streams = await journalOf(s).streams({ entityPrefix: q.text('prefix') });
      return streams.slice(0, q.integer('limit', 1, MAX_LIMIT) ?? 100);
    },
  },
  {
    // The entity is a parameter, not a path segment: `..` and `.` are entities too.
    method: 'GET',
    path: ['journal', 'stream'],
    run: async (s, req) => {
      const q = params(req.query, ['entity', 'from', 'limit']);
      const entity = q.text('entity');
      if (entity === undefined) throw new InvalidArgument('stream needs an entity');
      return journalOf(s).readStream(entity, {
        from: q.integer('from', 0, Number.MAX_SAFE_INTEGER),
        limit: q.integer('limit', 1, MAX_LIMIT) ?? 100,
      });
    },
  },
  {
    method: 'GET',
    path: ['journal', 'events', ':id'],
    run: async (s, req) => {
      const journal = journalOf(s);
      const event = await journal.get(req.path[2]);
      if (!event) throw new EventNotFound(req.path[2]);
      const receipt = await journal.receiptFor(event.id);
      return { event, receipt, verification: await journal.verifyReceipt(receipt) };
    },
  },
  {
    method: 'GET',
    path: ['journal', 'verify'],
    run: async (s) => verifierOf(s).current(),
  },
  {
    // Verifying only reads: allowed on a read-only dashboard.
    method: 'POST',
    path: ['journal', 'verify'],
    run: async (s) => verifierOf(s).start(),
  },
  {
    method: 'GET',
    path: ['journal', 'events', ':id', 'graph'],
    run: async (s, req) => {
      const q = params(req.query, ['limit']);
      return causalGraph(journalOf(s), req.path[2], q.integer('limit', 1, MAX_GRAPH) ?? 200);
    },
  },
];

/** A causal graph as nodes and edges (cause → effect), at most `limit` nodes. */
export interface CausalGraph {
  readonly root: string;
  readonly correlationId: string;
  readonly nodes: readonly StoredEvent[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
  /** True when the graph has more nodes than were returned. */
  readonly truncated: boolean;
}

/**
 * The event, its causes (nearest first) and what it caused (its effects, breadth first), at most
 * `limit` events: causes and effects share the room, each taking what the other leaves.
 */
async function causalGraph(journal: SourceJournal, id: string, limit: number): Promise<CausalGraph> {
  const tree = await journal.effects(id, { limit: limit + 1 }); // one more: is there more?
  const root = tree.event;
  const effects: StoredEvent[] = [];
  for (let level = tree.effects; level.length > 0; level = level.flatMap((t) => t.effects))
    effects.push(...level.map((t) => t.event));
  const causes = await journal.causes(id);
  const room = limit - 1;
  const causesTaken = Math.min(causes.length, Math.max(Math.floor(room / 2), room - effects.length));
  const effectsTaken = Math.min(effects.length, room - causesTaken);
  const nodes = [root, ...causes.slice(0, causesTaken), ...effects.slice(0, effectsTaken)];
  const ids = new Set(nodes.map((e) => e.id));
  const edges = nodes
    .filter((e) => e.causationId !== null && ids.has(e.causationId))
    .map((e) => ({ from: e.causationId!, to: e.id }));
  return {
    root: root.id,
    correlationId: root.correlationId,
    nodes,
    edges,
    truncated: causesTaken < causes.length || effectsTaken < effects.length,
  };
}

// ---------------------------------------------------------------- parameters

/** Typed reads of request parameters; anything unknown or malformed is an `InvalidArgument`. */
interface Params {
  text(name: string): string | undefined;
  /** `true` or `false` (or absent: false). */
  flag(name: string): boolean;
  integer(name: string, min: number, max: number): number | undefined;
  ids(name: string): number[] | undefined;
}

function params(query: URLSearchParams, known: readonly string[]): Params {
  for (const key of query.keys())
    if (!known.includes(key))
      throw new InvalidArgument(`unknown parameter ${JSON.stringify(key)} (known: ${known.join(', ')})`);
  return reader((name) => query.get(name) ?? undefined);
}

function body(value: unknown, known: readonly string[]): Params {
  if (value === undefined) return reader(() => undefined);
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new InvalidArgument('the request body must be a JSON object');
  for (const key of Object.keys(value))
    if (!known.includes(key))
      throw new InvalidArgument(`unknown field ${JSON.stringify(key)} (known: ${known.join(', ')})`);
  return reader((name) => (value as Record<string, unknown>)[name]);
}

function reader(get: (name: string) => unknown): Params {
  return {
    text: (name) => {
      const v = get(name);
      if (v === undefined || v === '') return undefined;
      if (typeof v !== 'string' || v.length > 1000)
        throw new InvalidArgument(`${name} must be a string of at most 1,000 characters`);
      return v;
    },
    flag: (name) => {
      const v = get(name);
      if (v === undefined || v === '' || v === 'false' || v === false) return false;
      if (v === 'true' || v === true) return true;
      throw new InvalidArgument(`${name} must be true or false`);
    },
    integer: (name, min, max) => {
      const v = get(name);
      if (v === undefined || v === '') return undefined;
      const n =
        typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,16}$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max)
        throw new InvalidArgument(`${name} must be a whole number from ${min} to ${max}`);
      return n;
    },
    ids: (name) => {
      const v = get(name);
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.length > MAX_LIMIT || !v.every((x) => Number.isSafeInteger(x) && x > 0))
        throw new InvalidArgument(`${name} must be a list of at most ${MAX_LIMIT} positive whole numbers`);
      return v as number[];
    },
  };
}

/** A dead-letter filter from request parameters. */
function filterOf(p: Params): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  const queue = p.text('queue');
  const type = p.text('type');
  const partition = p.integer('partition', 0, 1_000_000);
  const olderThanMs = p.integer('olderThanMs', 0, Number.MAX_SAFE_INTEGER);
  if (queue !== undefined) filter.queue = queue;
  if (type !== undefined) filter.type = type;
  if (partition !== undefined) filter.partition = partition;
  if (olderThanMs !== undefined) filter.olderThanMs = olderThanMs;
  const ids = p.ids('ids');
  if (ids !== undefined) filter.ids = ids;
  return filter;
}
