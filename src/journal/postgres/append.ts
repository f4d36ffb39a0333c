/**
 * Appends to a journal in PostgreSQL: events are checked and encoded here, then written in one
 * transaction that locks their streams (in sorted order), checks expected versions and idempotency
 * keys against the committed state, and leaves the events pending for the sequencer, which gives
 * them positions and hashes once they commit.
 */
import type pg from 'pg';
import { EventTooLarge, IdempotencyConflict, InvalidArgument, ScopeMismatch } from '../../errors.js';
import type { SqlExecutor } from '../../sql/index.js';
import { refuseUnknownKeys } from '../../validation.js';
import { CURRENT_LAYOUT, idempotencyDigest, pack } from '../codec.js';
import { validateCoordinate } from '../coordinate.js';
import { idFromString, idToString, newEventId } from '../ids.js';
import type { PayloadVersions } from '../payload-versions.js';
import type { AppendOptions, BatchItem } from '../types.js';
import { checkGuardOptions, guardAppend } from '../write/guard.js';
import {
  APPEND_OPTIONS,
  checkExpected,
  validateEvent,
  validateExpected,
  validateKey,
} from '../write/prepare.js';
import type { JournalStatements } from './statements.js';
import { inTransaction } from './transaction.js';

/** What appending needs of its journal. */
export interface AppendContext {
  readonly pool: pg.Pool;
  readonly st: JournalStatements;
  readonly versions: PayloadVersions;
  readonly requireGates: boolean;
  readonly maxEventBytes: number;
}

/** The outcome: the new events' row keys, in item order, or the ids of what a retry repeats. */
export type Appended = { readonly pks: string[] } | { readonly duplicateOf: string[] };

/** One item checked and encoded: everything but what the database state decides. */
interface Encoded {
  readonly id: Buffer;
  readonly entity: string;
  readonly scope: string;
  readonly type: string;
  readonly payloadVersion: number;
  readonly metadata: Buffer | null;
  readonly data: Buffer;
  readonly extensions: Buffer | null;
  readonly idemKey: string | null;
  readonly idemDigest: Buffer | null;
  readonly expected: AppendOptions['expectedVersion'];
  readonly causation: Buffer | null;
  /** Set: the correlation is given or is the event's own; unset: inherited from `causation`. */
  correlation: Buffer | null;
}

/** Checks and encodes every item (running its gates) before anything is written. */
function encode(ctx: AppendContext, items: readonly BatchItem[]): Encoded[] {
  const encoded: Encoded[] = [];
  for (const { coordinate, event, options } of items) {
    validateCoordinate(coordinate);
    const input = validateEvent(event);
    const o: AppendOptions & { causedByItem?: number } = options ?? {};
    if (typeof o !== 'object') throw new InvalidArgument('append options must be an object');
    refuseUnknownKeys(o, APPEND_OPTIONS, 'append option');
    if (o.expectedVersion !== undefined) validateExpected(o.expectedVersion);
    const payloadVersion = ctx.versions.versionForAppend(input.type, input.payloadVersion);
    const metadata = input.metadata === undefined ? null : pack(input.metadata);
    const data = pack(input.data);
    let idemDigest: Buffer | null = null;
    if (o.idempotencyKey !== undefined) {
      validateKey(o.idempotencyKey);
      idemDigest = idempotencyDigest(
        coordinate.entity,
        coordinate.scope,
        input.type,
        payloadVersion,
        input.metadata,
        input.data,
      );
    }
    const guard = checkGuardOptions(o, undefined);
    const extensions = guardAppend(coordinate, o, guard, undefined, ctx.requireGates);
    const size = data.length + (metadata?.length ?? 0) + (extensions?.bytes.length ?? 0);
    if (size > ctx.maxEventBytes) throw new EventTooLarge(size, ctx.maxEventBytes);
    const id = newEventId();
    const { causation, correlation } = causalLinks(o, encoded, id);
    encoded.push({
      id,
      entity: coordinate.entity,
      scope: coordinate.scope,
      type: input.type,
      payloadVersion,
      metadata,
      data,
      extensions: extensions?.bytes ?? null,
      idemKey: o.idempotencyKey ?? null,
      idemDigest,
      expected: o.expectedVersion,
      causation,
      correlation,
    });
  }
  return encoded;
}

function causalLinks(o: AppendOptions & { causedByItem?: number }, earlier: Encoded[], id: Buffer) {
  const causes =
    +(o.causedBy !== undefined) + +(o.causationId !== undefined) + +(o.causedByItem !== undefined);
  if (causes > 1) throw new InvalidArgument('give at most one of causedBy, causationId and causedByItem');
  const given = o.correlationId === undefined ? null : idFromString(o.correlationId, 'correlationId');
  if (o.causedByItem !== undefined) {
    const item = o.causedByItem;
    if (!Number.isInteger(item) || item < 0 || item >= earlier.length)
      throw new InvalidArgument('causedByItem must name an earlier item of the batch', {
        causedByItem: item,
      });
    return { causation: earlier[item].id, correlation: given ?? earlier[item].correlation };
  }
  if (o.causedBy !== undefined) {
    const causeId = typeof o.causedBy === 'string' ? o.causedBy : o.causedBy?.id;
    return { causation: idFromString(causeId, 'causedBy'), correlation: given }; // inherited: looked up
  }
  if (o.causationId !== undefined)
    return { causation: idFromString(o.causationId, 'causationId'), correlation: given ?? id };
  return { causation: null, correlation: given ?? id };
}

/**
 * Appends `items` as one atomic batch (a single append is a batch of one). A retry whose every
 * item repeats an idempotency key with the same event answers with the originals; a batch mixing
 * repeats and new events is refused, as in the embedded journal.
 */
export async function appendItems(
  ctx: AppendContext,
  items: readonly BatchItem[],
  now = Date.now(),
): Promise<Appended> {
  const encoded = encode(ctx, items);
  for (let attempt = 0; ; attempt++) {
    const outcome = await inTransaction(ctx.pool, (ex) => writeEncoded(ex, ctx.st, encoded, now));
    if (outcome !== null) return outcome;
    if (attempt >= 2) throw new InvalidArgument('an idempotency key is being used by concurrent appends');
  }
}

/**
 * Appends `items` in the caller's transaction `ex`: they commit or roll back with it, and are
 * sequenced after it commits (its commit wakes the sequencers).
 */
export async function appendItemsIn(
  ex: SqlExecutor,
  ctx: AppendContext,
  items: readonly BatchItem[],
  now = Date.now(),
): Promise<Appended> {
  const encoded = encode(ctx, items);
  const outcome = await writeEncoded(ex, ctx.st, encoded, now);
  if (outcome !== null) {
    await ex.query(ctx.st.wakeSequencers); // delivered when the caller commits
    return outcome;
  }
  // A key was claimed by a transaction that committed meanwhile: its event is the answer.
  const keyed = encoded.filter((e) => e.idemKey !== null);
  const repeats = await knownKeys(ex, ctx.st, keyed);
  if (repeats.length === keyed.length && keyed.length === encoded.length) return { duplicateOf: repeats };
  throw new InvalidArgument('an idempotency key was used by a concurrent append; retry the transaction');
}

/** The append's statements in transaction `ex`; null when an idempotency key was claimed meanwhile. */
async function writeEncoded(
  ex: SqlExecutor,
  st: JournalStatements,
  encoded: Encoded[],
  now: number,
): Promise<Appended | null> {
  const entities = [...new Set(encoded.map((e) => e.entity))].sort();
  const keys = encoded.filter((e) => e.idemKey !== null);
  await ex.query(st.lockStreams, [entities]);
  if (keys.length > 0) {
    const repeats = await knownKeys(ex, st, keys);
    if (repeats.length === keys.length && keys.length === encoded.length) return { duplicateOf: repeats };
    if (repeats.length > 0)
      throw new InvalidArgument('a batch repeats some idempotency keys and not others', {
        repeated: repeats.length,
      });
  }
  const versions = await streamVersions(ex, st, encoded, now);
  await inheritCorrelations(ex, st, encoded);
  if (keys.length > 0) {
    const claimed = await ex.query(
      st.claimIdempotency(keys.length),
      keys.flatMap((e) => [e.idemKey, e.idemDigest, idToString(e.id)]),
    );
    if (claimed.rows.length < keys.length) return null;
  }
  const written = await ex.query(st.writeAppend(versions.heads.size, encoded.length), [
    ...[...versions.heads].flatMap(([entity, h]) => [entity, h.scope, h.version, h.timestamp]),
    ...encoded.flatMap((e, i) => [
      i,
      idToString(e.id),
      e.entity,
      e.scope,
      versions.streamVersion[i],
      e.type,
      e.payloadVersion,
      versions.timestamp[i],
      idToString(e.correlation!),
      e.causation && idToString(e.causation),
      e.metadata,
      e.data,
      e.extensions,
      e.idemKey,
      e.idemDigest,
      CURRENT_LAYOUT,
    ]),
  ]);
  const pks = written.rows.sort((a, b) => Number(a.item) - Number(b.item)).map((r) => String(r.pk));
  return { pks };
}

/** Ids of the events whose keys were used before for the same events; a key used for another is a conflict. */
async function knownKeys(ex: SqlExecutor, st: JournalStatements, keyed: Encoded[]): Promise<string[]> {
  const { rows } = await ex.query(st.idempotencyUsed, [keyed.map((e) => e.idemKey)]);
  const used = new Map(rows.map((r) => [r.key as string, r]));
  const repeats: string[] = [];
  for (const e of keyed) {
    const row = used.get(e.idemKey!);
    if (!row) continue;
    if (!(row.digest as Buffer).equals(e.idemDigest!)) throw new IdempotencyConflict(e.idemKey!);
    repeats.push(row.event_id as string);
  }
  return repeats;
}

/** Each item's stream version and timestamp, checked against its expected version, and the new heads. */
async function streamVersions(ex: SqlExecutor, st: JournalStatements, encoded: Encoded[], now: number) {
  const heads = new Map<string, { scope: string; version: number; timestamp: number }>();
  const { rows } = await ex.query(st.streamHeads, [[...new Set(encoded.map((e) => e.entity))]]);
  for (const r of rows)
    heads.set(r.entity as string, {
      scope: r.scope as string,
      version: Number(r.version),
      timestamp: Number(r.last_timestamp),
    });
  const streamVersion: number[] = [];
  const timestamp: number[] = [];
  for (const e of encoded) {
    const head = heads.get(e.entity);
    if (head && head.scope !== e.scope) throw new ScopeMismatch(e.entity, head.scope, e.scope);
    checkExpected(e.entity, e.expected ?? 'any', head);
    const next = {
      scope: e.scope,
      version: head ? head.version + 1 : 0,
      timestamp: Math.max(now, head?.timestamp ?? now),
    };
    heads.set(e.entity, next);
    streamVersion.push(next.version);
    timestamp.push(next.timestamp);
  }
  return { heads, streamVersion, timestamp };
}

/** Events caused by an event of the journal inherit its correlation; the cause must exist. */
async function inheritCorrelations(ex: SqlExecutor, st: JournalStatements, encoded: Encoded[]) {
  const missing = encoded.filter((e) => e.correlation === null);
  if (missing.length === 0) return;
  const { rows } = await ex.query(st.correlationOf, [missing.map((e) => idToString(e.causation!))]);
  const found = new Map(rows.map((r) => [r.id as string, r.correlation_id as string]));
  for (const e of missing) {
    const correlation = found.get(idToString(e.causation!));
    if (correlation === undefined)
      throw new InvalidArgument('causedBy names no event of this journal', {
        causedBy: idToString(e.causation!),
      });
    e.correlation = idFromString(correlation, 'correlation_id');
  }
}
