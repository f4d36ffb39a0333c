import {
  EventTooLarge,
  IdempotencyConflict,
  InvalidArgument,
  ScopeMismatch,
  WrongExpectedVersion,
} from '../../errors.js';
import type { ReceiptExtensions } from '../../gates/types.js';
import { withTraceContext } from '../../tracing.js';
import { isPlainText, keys, refuseUnknownKeys } from '../../validation.js';
import {
  assertSerializable,
  CURRENT_LAYOUT,
  type EventRecord,
  idempotencyDigest,
  legacyIdempotencyDigest,
  pack,
} from '../codec.js';
import { isEventType, MAX_TYPE_BYTES, validateCoordinate } from '../coordinate.js';
import { encodeEventFrame } from '../event-frame.js';
import { computeEventHash } from '../event-hash.js';
import { ZERO_HASH } from '../hash.js';
import { idFromString, newEventId } from '../ids.js';
import type { JournalIndex } from '../index/journal-index.js';
import type { PayloadVersions } from '../payload-versions.js';
import type { AppendOptions, BatchItem, Coordinate, ExpectedVersion, NewEvent } from '../types.js';
import { checkGuardOptions, type Grant, guardAppend } from './guard.js';

const MAX_KEY_BYTES = 512;
const EVENT_KEYS = keys('type', 'data', 'metadata', 'payloadVersion');
/** The options an append takes. */
export const APPEND_OPTIONS = keys(
  'expectedVersion',
  'idempotencyKey',
  'correlationId',
  'causationId',
  'causedBy',
  'causedByItem',
  'durable',
  'gates',
  'context',
  'bypass',
  'extensions',
);
const BATCH_ITEM_KEYS = keys('coordinate', 'event', 'options');

/** An event ready to be written: its record, its frame bytes and its extensions, decoded. */
export interface PreparedEvent {
  readonly record: EventRecord;
  readonly frame: Buffer;
  readonly extensions: ReceiptExtensions | undefined;
}

/** A stream's head as seen by the events prepared so far (index plus earlier items of a batch). */
interface Head {
  version: number;
  scope: string;
  hash: Buffer;
  timestamp: number;
}

/**
 * Turns appends into records without touching the journal: validation, expected-version checks,
 * causal links, hashes and frames. Earlier items of a batch are visible to later ones, so a batch
 * chains and version-checks as if its items were appended one by one. Anything invalid throws before
 * a byte is written.
 */
export class AppendPlanner {
  private readonly heads = new Map<string, Head>();
  readonly prepared: PreparedEvent[] = [];

  constructor(
    private readonly index: JournalIndex,
    private readonly maxEventBytes: number,
    /** Correlation id of an indexed event (read from its record). */
    private readonly correlationAt: (slot: number) => Buffer,
    private readonly versions: PayloadVersions,
    private readonly requireGates: boolean,
  ) {}

  /**
   * Plans one event. Returns `{ duplicateOf }` (the slot of the original) when its idempotency key was
   * already used for this same event (its gates do not run again); throws {@link IdempotencyConflict}
   * when used for another. `grant` is what the journal vouches for instead of gates (see `Grant`).
   */
  add(
    coordinate: Coordinate,
    event: NewEvent,
    options: (AppendOptions & { causedByItem?: number }) | undefined,
    now: number,
    grant?: Grant,
  ): PreparedEvent | { duplicateOf: number } {
    validateCoordinate(coordinate);
    const { entity, scope } = coordinate;
    const input = validateEvent(event);
    const payloadVersion = this.versions.versionForAppend(input.type, input.payloadVersion);
    const o = options ?? {};
    if (typeof o !== 'object') throw new InvalidArgument('append options must be an object');
    refuseUnknownKeys(o, APPEND_OPTIONS, 'append option');
    const metadata = packMetadata(input.metadata);
    const data = pack(input.data);
    const guard = checkGuardOptions(o, grant);
    let idemDigest: Buffer | null = null;
    if (o.idempotencyKey !== undefined) {
      validateKey(o.idempotencyKey);
      idemDigest = idempotencyDigest(entity, scope, input.type, payloadVersion, input.metadata, input.data);
      // Checked before the expected version: a retry must find its first result, not a version conflict.
      const used = this.index.idempotency.get(o.idempotencyKey);
      if (used) {
        const same =
          used.digest.equals(idemDigest) ||
          used.digest.equals(
            legacyIdempotencyDigest(entity, scope, input.type, payloadVersion, metadata, data),
          );
        if (!same) throw new IdempotencyConflict(o.idempotencyKey);
        return { duplicateOf: used.slot };
      }
    }
    const head = this.head(entity);
    if (head && head.scope !== scope) throw new ScopeMismatch(entity, head.scope, scope);
    checkExpected(entity, o.expectedVersion === undefined ? 'any' : o.expectedVersion, head);
    const extensions = guardAppend(coordinate, o, guard, grant, this.requireGates);

    const id = newEventId();
    const { correlation, causation } = this.causalLinks(id, o);
    const record: EventRecord = {
      id,
      entity,
      scope,
      type: input.type,
      streamVersion: head ? head.version + 1 : 0,
      position: this.index.count + this.prepared.length + 1,
      timestamp: head ? Math.max(now, head.timestamp) : now,
      correlation,
      causation,
      payloadVersion,
      metadata,
      data,
      prevHash: head ? head.hash : ZERO_HASH,
      hash: ZERO_HASH,
      idemKey: o.idempotencyKey ?? null,
      idemDigest,
      extensions: extensions?.bytes ?? null,
      layout: CURRENT_LAYOUT,
    };
    record.hash = computeEventHash(record);
    const frame = encodeEventFrame(record);
    if (frame.length > this.maxEventBytes) throw new EventTooLarge(frame.length, this.maxEventBytes);
    const prepared = { record, frame, extensions: extensions?.value };
    this.prepared.push(prepared);
    this.heads.set(entity, {
      version: record.streamVersion,
      scope,
      hash: record.hash,
      timestamp: record.timestamp,
    });
    return prepared;
  }

  private head(entity: string): Head | undefined {
    const staged = this.heads.get(entity);
    if (staged) return staged;
    const s = this.index.stream(entity);
    return s && { version: s.version, scope: s.scope, hash: s.lastHash, timestamp: s.lastTimestamp };
  }

  private causalLinks(
    id: Buffer,
    o: AppendOptions & { causedByItem?: number },
  ): { correlation: Buffer; causation: Buffer | null } {
    let causation: Buffer | null = null;
    let inherited: Buffer | null = null;
    const causes =
      +(o.causedBy !== undefined) + +(o.causationId !== undefined) + +(o.causedByItem !== undefined);
    if (causes > 1) throw new InvalidArgument('give at most one of causedBy, causationId and causedByItem');
    if (o.causedByItem !== undefined) {
      const item = o.causedByItem;
      if (!Number.isInteger(item) || item < 0 || item >= this.prepared.length) {
        throw new InvalidArgument('causedByItem must name an earlier item of the batch', {
          causedByItem: item,
        });
      }
      causation = this.prepared[item].record.id;
      inherited = this.prepared[item].record.correlation;
    } else if (o.causedBy !== undefined) {
      const causeId = typeof o.causedBy === 'string' ? o.causedBy : o.causedBy?.id;
      causation = idFromString(causeId, 'causedBy');
      inherited = this.correlationOf(causation);
    } else if (o.causationId !== undefined) {
      causation = idFromString(o.causationId, 'causationId');
    }
    const correlation =
      o.correlationId !== undefined ? idFromString(o.correlationId, 'correlationId') : (inherited ?? id);
    return { correlation, causation };
  }

  /** Correlation of an event of the journal or of this batch; the cause must exist. */
  private correlationOf(id: Buffer): Buffer {
    const staged = this.prepared.find((p) => p.record.id.equals(id));
    if (staged) return staged.record.correlation;
    const slot = this.index.slotOfId(id);
    if (slot === -1)
      throw new InvalidArgument('causedBy names no event of this journal', { causedBy: id.toString('hex') });
    return this.correlationAt(slot);
  }
}

/** An event's shape checked: a type name, serializable data and metadata, a payload version. */
export function validateEvent(event: NewEvent): NewEvent {
  if (event === null || typeof event !== 'object')
    throw new InvalidArgument('event must be an object { type, data }');
  refuseUnknownKeys(event, EVENT_KEYS, 'event field');
  const { type, data, metadata, payloadVersion } = event;
  if (!isEventType(type)) {
    throw new InvalidArgument(
      `event type must be non-empty text of at most ${MAX_TYPE_BYTES} bytes, without control characters`,
      {
        type,
      },
    );
  }
  if (
    payloadVersion !== undefined &&
    (!Number.isInteger(payloadVersion) || payloadVersion < 1 || payloadVersion > 0xffff_ffff)
  ) {
    throw new InvalidArgument('payloadVersion must be a positive integer', { payloadVersion });
  }
  assertSerializable(data, 'data');
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new InvalidArgument('metadata must be a plain object', { metadata });
    }
    assertSerializable(metadata, 'metadata');
  }
  return { type, data, metadata, payloadVersion };
}

/** An idempotency key: non-empty plain text of bounded size. */
export function validateKey(key: unknown): void {
  if (
    typeof key !== 'string' ||
    key.length === 0 ||
    Buffer.byteLength(key) > MAX_KEY_BYTES ||
    !isPlainText(key)
  ) {
    throw new InvalidArgument(`idempotencyKey must be non-empty text of at most ${MAX_KEY_BYTES} bytes`, {
      key,
    });
  }
}

/** Throws `WrongExpectedVersion` when the stream's head (undefined: no stream) is not what was expected. */
export function checkExpected(
  entity: string,
  expected: ExpectedVersion,
  head: { readonly version: number } | undefined,
): void {
  const actual = head ? head.version : 'no-stream';
  switch (expected) {
    case 'any':
      return;
    case 'no-stream':
      if (head) throw new WrongExpectedVersion(entity, expected, actual);
      return;
    case 'stream-exists':
      if (!head) throw new WrongExpectedVersion(entity, expected, actual);
      return;
    default:
      validateExpected(expected);
      if (actual !== expected) throw new WrongExpectedVersion(entity, expected, actual);
  }
}

/** An expected version: a non-negative integer, `'no-stream'`, `'stream-exists'` or `'any'`. */
export function validateExpected(expected: unknown): asserts expected is ExpectedVersion {
  if (expected === 'any' || expected === 'no-stream' || expected === 'stream-exists') return;
  if (typeof expected !== 'number' || !Number.isInteger(expected) || expected < 0)
    throw new InvalidArgument(
      "expectedVersion must be a non-negative integer, 'no-stream', 'stream-exists' or 'any'",
      { expectedVersion: expected },
    );
}

/** Checks the shape of batch items before planning them. */
export function validateBatch(items: readonly BatchItem[]): void {
  if (!Array.isArray(items) || items.length === 0)
    throw new InvalidArgument('a batch needs at least one item');
  const keys = new Set<string>();
  for (const item of items) {
    if (item === null || typeof item !== 'object')
      throw new InvalidArgument('batch items must be objects { coordinate, event }');
    refuseUnknownKeys(item, BATCH_ITEM_KEYS, 'batch item field');
    if (item.options !== undefined && 'durable' in item.options)
      throw new InvalidArgument('durable is an option of the whole batch, not of an item');
    const key = item.options?.idempotencyKey;
    if (key !== undefined) {
      if (keys.has(key))
        throw new InvalidArgument('the same idempotency key appears twice in the batch', { key });
      keys.add(key);
    }
  }
}

/**
 * An event's metadata as stored: with the active trace context's `traceparent` when a traced
 * request appends it (left out of the idempotency digest, so a retry from another trace matches).
 */
export function packMetadata(metadata: Record<string, unknown> | undefined): Buffer | null {
  const traced = withTraceContext(metadata);
  return traced === undefined ? null : pack(traced);
}
