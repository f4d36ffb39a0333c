import { type Plan, runPlan, runPlanSync, type SqlExecutor, type SyncSqlExecutor } from '../sql/index.js';
import { inSpan, messagingSpan, withTraceContext } from '../tracing.js';
import type { Statements } from './dialects/statements.js';
import { type EncodedMessage, encodeMessage, incomingParams } from './message.js';
import { chunks, type QueueInfo } from './registry.js';
import type { Enqueued, NewMessage } from './types.js';

/** Rows per INSERT: far below every driver's parameter limit. */
const ROWS_PER_STATEMENT = 500;

/** What an enqueue needs to know about its outbox. */
export interface EnqueueSettings {
  readonly sql: Statements;
  readonly maxPayloadBytes: number;
  /** PostgreSQL: the channel told (on commit) which partitions have new messages. */
  readonly notifyChannel: string | null;
}

/** Validates and encodes every message first, so bad input writes nothing. */
export const encodeAll = (messages: readonly NewMessage[], queue: QueueInfo, maxPayloadBytes: number) =>
  messages.map((m) => encodeMessage(traced(m), queue.partitions, maxPayloadBytes));

/** A message with the active trace context in its headers (see tracing.ts); bad input is left to the checks. */
function traced(m: NewMessage): NewMessage {
  if (m === null || typeof m !== 'object') return m;
  const h = m.headers;
  if (
    h !== undefined &&
    (h === null || typeof h !== 'object' || Object.getPrototypeOf(h) !== Object.prototype)
  )
    return m;
  const headers = withTraceContext(h);
  return headers === h ? m : { ...m, headers: headers as Record<string, string> };
}

/** Runs an enqueue of `count` messages to `queue` in a PRODUCER span when a traced request makes it. */
export function inEnqueueSpan<T>(queue: string, count: number, fn: () => T): T {
  const destination = typeof queue === 'string' ? queue : 'outbox';
  return inSpan(
    `send ${destination}`,
    { kind: 'producer', when: 'active', attributes: messagingSpan('send', 'enqueue', destination, count) },
    fn,
  );
}

/** The statements of one enqueue; the same plan runs on synchronous and asynchronous executors. */
export function* enqueuePlan(
  s: EnqueueSettings,
  queue: QueueInfo,
  encoded: EncodedMessage[],
): Plan<Enqueued[]> {
  const keyed = encoded.filter((m) => m.dedupeKey !== null);
  const owners = new Map<string, string>();
  for (const chunk of chunks(keyed, ROWS_PER_STATEMENT)) {
    yield {
      sql: s.sql.insertDedupe(chunk.length),
      params: chunk.flatMap((m) => [queue.name, m.dedupeKey, m.id]),
    };
    const keys = [...new Set(chunk.map((m) => m.dedupeKey))];
    const found = yield { sql: s.sql.selectDedupe(keys.length), params: [queue.name, ...keys] };
    for (const r of found.rows) owners.set(String(r.dedupe_key), String(r.message_id).toLowerCase());
  }
  const results: Enqueued[] = [];
  const fresh: EncodedMessage[] = [];
  for (const m of encoded) {
    const owner = m.dedupeKey === null ? m.id : (owners.get(m.dedupeKey) ?? m.id);
    results.push({ id: owner, queue: queue.name, partition: m.partition, duplicate: owner !== m.id });
    if (owner === m.id) fresh.push(m);
  }
  const batches = chunks(fresh, ROWS_PER_STATEMENT);
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i];
    const params: unknown[] = batch.flatMap((m) => incomingParams(m, queue.ids[m.partition]));
    if (s.notifyChannel !== null && i === batches.length - 1) {
      params.push(s.notifyChannel, sequencePayload(fresh.map((m) => queue.ids[m.partition])));
      yield { sql: s.sql.insertIncomingAndNotify(batch.length), params };
    } else yield { sql: s.sql.insertIncoming(batch.length), params };
  }
  return results;
}

/** Runs an enqueue on an asynchronous executor. */
export async function enqueueAsync(
  s: EnqueueSettings,
  ex: SqlExecutor,
  queue: QueueInfo,
  encoded: EncodedMessage[],
): Promise<Enqueued[]> {
  return runPlan(enqueuePlan(s, queue, encoded), ex);
}

/** Runs an enqueue on a synchronous executor (better-sqlite3), inside the caller's transaction. */
export function enqueueSync(
  s: EnqueueSettings,
  ex: SyncSqlExecutor,
  queue: QueueInfo,
  encoded: EncodedMessage[],
): Enqueued[] {
  return runPlanSync(enqueuePlan(s, queue, encoded), ex);
}

/**
 * Wake-up payloads: `s:<ids>` asks sequencers to look at partitions, `p:<ids>@<sender>` asks
 * processors (the sender has woken its own already); `*` instead of ids means "look everywhere".
 */
export function sequencePayload(ids: readonly number[]): string {
  const list = [...new Set(ids)].join(',');
  // PostgreSQL caps a notification at 8000 bytes.
  return list.length > 7000 ? 's:*' : `s:${list}`;
}

/** Parses a wake-up payload; `null` ids means every partition. */
export function parseWakePayload(
  payload: string,
): { kind: 's' | 'p'; ids: number[] | null; from?: string } | null {
  const m = /^([sp]):(\*|[0-9,]+)(?:@(.+))?$/.exec(payload);
  if (!m) return null;
  return { kind: m[1] as 's' | 'p', ids: m[2] === '*' ? null : m[2].split(',').map(Number), from: m[3] };
}
