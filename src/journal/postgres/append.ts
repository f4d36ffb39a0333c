/**
 * Appends to a journal in PostgreSQL: events are checked and encoded here (bad input throws before
 * anything is sent), then written by the append function (append-function.ts), which checks them
 * against the committed state and leaves them pending for the sequencer. The `Appender` sends a
 * process's appends together; `appendItemsIn` writes in the caller's transaction.
 */
import type pg from 'pg';
import {
  DatabaseError,
  EventTooLarge,
  IdempotencyConflict,
  InvalidArgument,
  ScopeMismatch,
} from '../../errors.js';
import { pgExecutor, type SqlExecutor, typedErrors } from '../../sql/index.js';
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
  packMetadata,
  validateEvent,
  validateExpected,
  validateKey,
} from '../write/prepare.js';
import type { AppendOutcome } from './append-function.js';
import type { JournalStatements } from './statements.js';

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
    const metadata = packMetadata(input.metadata);
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
  const [row] = await appendBatches(ex, ctx.st, [encoded], { now, wait: true, inCallerTransaction: true });
  return settle(encoded, row);
}

/** Calls, at most, this many statements at once: the rest wait and travel together. */
const CALLS_IN_FLIGHT = 2;
/** Batches and items one call takes at most. */
const CALL_BATCHES = 64;
const CALL_ITEMS = 1000;

interface Queued {
  readonly encoded: Encoded[];
  resolve(outcome: Appended): void;
  reject(err: unknown): void;
}

/**
 * Appends of one process, coalesced: batches that arrive while calls are in flight go together in
 * the next call, one round trip and one commit for all of them. Each batch still succeeds or fails
 * alone: a batch whose stream another transaction holds is sent again by itself (so it waits
 * without holding up the others), and a call the server refuses as a whole is retried batch by batch.
 */
export class Appender {
  private readonly queue: Queued[] = [];
  private inFlight = 0;
  private readonly ex: SqlExecutor;

  constructor(private readonly ctx: AppendContext) {
    this.ex = executorOf(ctx);
  }

  /** Whether calls are on their way to the database. */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Checks and encodes `items` now (bad input throws before anything is sent), then appends them. */
  async append(items: readonly BatchItem[]): Promise<Appended> {
    const encoded = encode(this.ctx, items);
    return new Promise((resolve, reject) => {
      this.queue.push({ encoded, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < CALLS_IN_FLIGHT && this.queue.length > 0) {
      const group: Queued[] = [];
      let items = 0;
      while (this.queue.length > 0 && group.length < CALL_BATCHES) {
        const next = this.queue[0];
        if (group.length > 0 && items + next.encoded.length > CALL_ITEMS) break;
        items += this.queue.shift()!.encoded.length;
        group.push(next);
      }
      this.inFlight++;
      void this.send(group).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async send(group: Queued[]): Promise<void> {
    const alone = group.length === 1;
    let rows: OutcomeRow[];
    try {
      rows = await appendBatches(
        this.ex,
        this.ctx.st,
        group.map((q) => q.encoded),
        { now: Date.now(), wait: alone, inCallerTransaction: false },
      );
    } catch (err) {
      // Refused whole (nothing was written): one batch's bad value must not fail the others.
      if (!alone && err instanceof DatabaseError) await Promise.all(group.map((q) => this.send([q])));
      else for (const q of group) q.reject(err);
      return;
    }
    const busy: Queued[] = [];
    for (const row of rows) {
      const q = group[row.r_batch - 1];
      if (row.r_outcome === 'busy') busy.push(q);
      else {
        try {
          q.resolve(settle(q.encoded, row));
        } catch (err) {
          q.reject(err);
        }
      }
    }
    await Promise.all(busy.map((q) => this.send([q])));
  }
}

function executorOf(ctx: AppendContext): SqlExecutor {
  return typedErrors(pgExecutor(ctx.pool, true));
}

/** What the append function answers for a batch. */
interface OutcomeRow {
  readonly r_batch: number;
  readonly r_outcome: AppendOutcome;
  readonly r_item: number | null;
  readonly r_found: string | null;
  readonly r_pks: string[] | null;
  readonly r_ids: string[] | null;
}

/** One call of the append function for `batches`, in `ex` (a pool: its own transaction). */
async function appendBatches(
  ex: SqlExecutor,
  st: JournalStatements,
  batches: Encoded[][],
  how: { now: number; wait: boolean; inCallerTransaction: boolean },
): Promise<OutcomeRow[]> {
  const all = batches.flat();
  const ends: number[] = [];
  for (const b of batches) ends.push((ends.at(-1) ?? 1) + b.length);
  const column = <T>(f: (e: Encoded) => T) => all.map(f);
  const { rows } = await ex.query(st.appendBatches, [
    how.now,
    how.wait,
    how.inCallerTransaction,
    ends,
    column((e) => idToString(e.id)),
    column((e) => e.entity),
    column((e) => e.scope),
    column((e) => e.type),
    column((e) => e.payloadVersion),
    column((e) => e.correlation && idToString(e.correlation)),
    column((e) => e.causation && idToString(e.causation)),
    column((e) => e.metadata),
    column((e) => e.data),
    column((e) => e.extensions),
    column((e) => e.idemKey),
    column((e) => e.idemDigest),
    column((e) => (e.expected === undefined ? 'any' : String(e.expected))),
    column(() => CURRENT_LAYOUT),
  ]);
  return (rows as unknown as OutcomeRow[]).sort((a, b) => a.r_batch - b.r_batch);
}

/** A batch's outcome as the caller's answer, or the typed error the embedded journal would throw. */
function settle(batch: Encoded[], row: OutcomeRow): Appended {
  const item = row.r_item === null ? undefined : batch[row.r_item];
  switch (row.r_outcome) {
    case 'appended':
      return { pks: row.r_pks!.map(String) };
    case 'duplicate':
      return { duplicateOf: row.r_ids! };
    case 'idempotency_conflict':
      throw new IdempotencyConflict(item!.idemKey!);
    case 'mixed_repeat':
      throw new InvalidArgument('a batch repeats some idempotency keys and not others', {
        repeated: Number(row.r_found),
      });
    case 'scope_mismatch':
      throw new ScopeMismatch(item!.entity, row.r_found!, item!.scope);
    case 'wrong_version':
      checkExpected(
        item!.entity,
        item!.expected ?? 'any',
        row.r_found === null ? undefined : { version: Number(row.r_found) },
      );
      throw new InvalidArgument('the append function refused an expected version the journal accepts');
    case 'unknown_cause':
      throw new InvalidArgument('causedBy names no event of this journal', {
        causedBy: idToString(item!.causation!),
      });
    case 'key_race':
    case 'busy':
      throw new InvalidArgument('an idempotency key is being used by concurrent appends; retry');
  }
}
