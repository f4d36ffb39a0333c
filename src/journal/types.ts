/**
 * Public types of the journal, gathered in one place.
 */

import type {
  BypassReason,
  GateSet,
  ReceiptExtensions,
  ReceiptKeyInput,
  ReceiptSignature,
} from '../gates/index.js';
import type { Logger } from '../logger.js';

/**
 * Where an event lives. `entity` is the stream key (`order:507`); `scope` is the isolation boundary
 * the stream belongs to (a tenant, a bounded context). A stream keeps the scope of its first event.
 * Build one with {@link coordinate} to validate it once.
 */
export interface Coordinate {
  readonly entity: string;
  readonly scope: string;
}

/** Plain values MessagePack can round-trip. */
export type Serializable =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Date
  | Uint8Array
  | readonly Serializable[]
  | { readonly [key: string]: Serializable };

/**
 * One member of an application's event union: a type name and the shape of its payload. The
 * journal's type parameter (see {@link Journal}) is a union of these; `JournalEvent` itself (type
 * `string`, data `unknown`) is the default and accepts any event, as an untyped journal does.
 *
 * Declare the union with this helper or with plain object types, the two are the same:
 *
 * @example
 * type ShopEvent =
 *   | JournalEvent<'OrderPlaced', { total: number }>
 *   | { type: 'OrderPaid'; data: { amount: number } };
 *
 * const journal = open<ShopEvent>('./data/journal');
 * journal.append(order, { type: 'OrderPlaced', data: { total: 42 } }); // checked against the union
 * for (const e of journal.readStream('order:507')) {
 *   if (e.type === 'OrderPlaced') console.log(e.data.total); // narrowed to OrderPlaced
 * }
 *
 * The union is the caller's statement of what the journal holds: it is not checked at run time,
 * neither on append nor on read. Metadata is not part of it (it is `Record<string, unknown>`).
 */
export interface JournalEvent<Type extends string = string, Data = unknown> {
  readonly type: Type;
  readonly data: Data;
}

/**
 * The members of union `E` whose type is one of `T` (`Extract<E, { type: T }>`); a member with a
 * wide `type: string` (the untyped default) becomes one whose type is `T`.
 *
 * @example
 * type Paid = EventOfType<ShopEvent, 'OrderPaid'>; // { type: 'OrderPaid'; data: { amount: number } }
 */
export type EventOfType<E extends JournalEvent, T extends string> = E extends JournalEvent
  ? string extends E['type']
    ? JournalEvent<T, E['data']>
    : E extends { readonly type: T }
      ? E
      : never
  : never;

/**
 * What {@link Journal.append} accepts for the event union `E`: a {@link NewEvent} per member, so the
 * type name must be one of the union's and `data` must have that member's shape.
 *
 * @example
 * const e: NewEventOf<ShopEvent> = { type: 'OrderPaid', data: { amount: 42 } };
 */
export type NewEventOf<E extends JournalEvent = JournalEvent> = E extends JournalEvent
  ? NewEvent<E['data'], E['type']>
  : never;

/**
 * An event of union `E` as read back: a discriminated union of {@link StoredEvent}s, one per member,
 * so testing `type` narrows `data`. With `T`, only the members of those types.
 *
 * @example
 * function total(e: StoredEventOf<ShopEvent>): number {
 *   return e.type === 'OrderPlaced' ? e.data.total : -e.data.amount;
 * }
 * const placed: StoredEventOf<ShopEvent, 'OrderPlaced'>[] = [];
 */
export type StoredEventOf<E extends JournalEvent = JournalEvent, T extends E['type'] = E['type']> = Stored<
  EventOfType<E, T>
>;

/** One {@link StoredEvent} per member of `E`. */
type Stored<E> = E extends JournalEvent ? StoredEvent<E['data'], E['type']> : never;

/**
 * What {@link Journal.appendDenial} records. It is not part of an application's union by itself:
 * a journal that records denials and reads the streams they are on should include it
 * (`open<ShopEvent | DenialEvent>(…)`).
 */
export type DenialEvent = JournalEvent<
  'causeway.denied',
  {
    readonly gate: string;
    readonly code: string;
    readonly message: string;
    readonly context: Readonly<Record<string, unknown>>;
  }
>;

/**
 * What the caller supplies to append an event. `T` is the type of `data` and `Type` that of the
 * type name; {@link NewEventOf} builds these from an event union.
 */
export interface NewEvent<T = unknown, Type extends string = string> {
  /** Event type, such as `OrderPlaced`. */
  type: Type;
  /**
   * Payload, stored as MessagePack and read back as given: null, booleans, numbers, bigints (64-bit),
   * strings, Dates, byte arrays (read back as Buffers), and arrays and plain objects of these. Values
   * it could not give back as they are (functions, symbols, class instances, cycles, lone
   * surrogates, own `__proto__` keys, sparse arrays, arrays with named properties) are refused with
   * `UnserializableData` and nothing is written. `-0` reads back as `0`, as in JSON.
   */
  data: T;
  /** Free-form, serializable metadata (covered by the hash). */
  metadata?: Record<string, unknown>;
  /** Schema version of `data`; defaults to 1. */
  payloadVersion?: number;
}

/**
 * Expected state of the stream before the append:
 * a number is the version of the stream's last event (`0` = exactly one event);
 * `'no-stream'` = the stream must not exist; `'stream-exists'` = it must; `'any'` = no check.
 */
export type ExpectedVersion = number | 'no-stream' | 'stream-exists' | 'any';

/** Options of one append. */
export interface AppendOptions<C = unknown> {
  /** Concurrency check against the stream's current version. Default `'any'`. */
  expectedVersion?: ExpectedVersion;
  /**
   * Deduplicates retries: a second append with the same key and the same event returns the first
   * receipt (with `deduplicated: true`); with a different event it fails with `IdempotencyConflict`.
   */
  idempotencyKey?: string;
  /** Correlation id (UUID). Defaults to the cause's correlation, else to the event's own id. */
  correlationId?: string;
  /** Causation id (UUID) of an event or command outside this journal. */
  causationId?: string;
  /** The journal event (id or receipt) that caused this one; sets causation and inherits correlation. */
  causedBy?: string | { readonly id: string };
  /** Return only after the event is fsynced. Default `false` (written to the OS, fsynced on cadence). */
  durable?: boolean;
  /**
   * Gates to pass before the event is committed, judged against `context`. A denial appends nothing
   * and throws `GateDenied`; a pass records the gates' names as the extension `causeway.gates`.
   */
  gates?: GateSet<C>;
  /** What `gates` judge. */
  context?: C;
  /** Commit without gates, for a recorded reason (extension `causeway.bypass`). Excludes `gates`. */
  bypass?: BypassReason;
  /**
   * Small namespaced values stored, hashed and signed with the event and returned on its receipt.
   * An idempotent retry returns the stored ones (a retry's own extensions are not compared).
   */
  extensions?: ReceiptExtensions;
}

/**
 * An append awaiting its gates: what `GateSet.evaluate` receives and {@link Journal.commit} commits.
 * `E` is the journal's event union; declare a proposal for a typed journal as
 * `AppendProposal<ShopEvent>`, so the receipt `evaluate` returns is one that journal commits.
 */
export interface AppendProposal<out E extends JournalEvent = JournalEvent> {
  coordinate: Coordinate;
  event: NewEventOf<E>;
  options?: Omit<AppendOptions, 'gates' | 'context' | 'bypass'>;
}

/** One item of {@link Journal.appendBatch}; `E` is the journal's event union. */
export interface BatchItem<out E extends JournalEvent = JournalEvent> {
  coordinate: Coordinate;
  event: NewEventOf<E>;
  options?: Omit<AppendOptions, 'durable'> & {
    /** Index of an earlier item of the same batch that caused this one. */
    causedByItem?: number;
  };
}

/** Options of a whole batch. */
export interface BatchOptions {
  /** Return only after the batch is fsynced. */
  durable?: boolean;
}

/** Proof of an append: where the event landed. */
export interface AppendReceipt {
  readonly id: string;
  readonly entity: string;
  readonly scope: string;
  readonly type: string;
  /** Position in the journal's global order; dense, from 1. */
  readonly position: number;
  /** Version within the stream; from 0. */
  readonly streamVersion: number;
  /** Hex BLAKE3 hash of this event (header, payload and previous hash). */
  readonly hash: string;
  /** Hex hash of the stream's previous event (zeros for the first). */
  readonly prevHash: string;
  /** True when an idempotency key matched and this is the original receipt. */
  readonly deduplicated: boolean;
  /** Extensions stored with the event (the caller's and the journal's `causeway.*` ones). */
  readonly extensions?: ReceiptExtensions;
  /** Ed25519 signature over the receipt, when the journal has receipt keys. */
  readonly signature?: ReceiptSignature;
}

/**
 * An event as read back from the journal. `T` is the type of `data` and `Type` that of the type
 * name; a typed journal returns {@link StoredEventOf} its union, a union of these.
 */
export interface StoredEvent<T = unknown, Type extends string = string> {
  /** UUIDv7. */
  readonly id: string;
  readonly type: Type;
  readonly data: T;
  readonly metadata: Record<string, unknown> | undefined;
  readonly entity: string;
  readonly scope: string;
  readonly streamVersion: number;
  readonly position: number;
  /** Milliseconds since the epoch; never decreases within a stream. */
  readonly timestamp: number;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly payloadVersion: number;
  readonly prevHash: string;
  readonly hash: string;
  /** Extensions stored with the event, if any. */
  readonly extensions: ReceiptExtensions | undefined;
}

/**
 * A selection of events. Every field narrows; an empty region selects everything.
 * `entityPrefix` matches at `:` boundaries: `order` selects `order`, `order:1` and `order:1:line`,
 * not `orders`.
 */
export interface Region<T extends string = string> {
  entityPrefix?: string;
  scope?: string;
  /**
   * Event types selected. On a typed journal they must be types of its union, and reads over the
   * region return only those members of it.
   */
  types?: readonly T[];
  /** Lowest global position included. */
  fromPosition?: number;
  /** Highest global position included. */
  toPosition?: number;
}

/** Options of {@link Journal.readStream}. */
export interface ReadStreamOptions {
  /** First stream version to read (forwards), or last (backwards). */
  from?: number;
  limit?: number;
  backwards?: boolean;
}

/** Options of {@link Journal.readAll}; `T` are the event types its region may name. */
export interface ReadAllOptions<T extends string = string> {
  /** Read events with a position greater than this; 0 (default) starts at the beginning. */
  after?: number;
  limit?: number;
  region?: Region<T>;
}

/** One page of {@link Journal.readAll}; `E` is the event union it holds. */
export interface ReadPage<out E extends JournalEvent = JournalEvent> {
  readonly events: StoredEventOf<E>[];
  /** Pass as `after` to read the next page. */
  readonly nextAfter: number;
  /** True when the page reached the visible end of the journal. */
  readonly done: boolean;
}

/** Options of {@link Journal.effects}. */
export interface EffectsOptions {
  /**
   * Most events in the tree, the event itself included: effects are taken breadth first (an
   * event's effects in position order), so a cut tree keeps every event's cause. Default: all.
   */
  limit?: number;
}

/** A node of {@link Journal.effects}: an event and what it caused, transitively. */
export interface EffectTree<out E extends JournalEvent = JournalEvent> {
  readonly event: StoredEventOf<E>;
  readonly effects: EffectTree<E>[];
}

/**
 * Progress watermarks, each a global position (0 = none):
 * accepted (assigned a position), written (handed to the OS), durable (fsynced),
 * visible (readable through the index), applied (folded by every registered projection; equal to
 * visible when none is registered).
 */
export type Watermark = 'accepted' | 'written' | 'durable' | 'visible' | 'applied';

/** Snapshot of all watermarks. */
export type Watermarks = Readonly<Record<Watermark, number>>;

/** Options of {@link open}. */
export interface JournalOptions {
  /** Start a new segment file when the active one would exceed this. Default 64 MiB. */
  segmentMaxBytes?: number;
  /** Largest encoded event accepted. Default 1 MiB. */
  maxEventBytes?: number;
  /** How often written data is fsynced in the background; 0 disables the timer. Default 100 ms. */
  fsyncIntervalMs?: number;
  /** Write an index snapshot after this many new events (and always on close); 0 = only on close. Default 250,000. */
  snapshotEveryEvents?: number;
  /**
   * Ed25519 keys, oldest first: the newest private key signs every receipt, all verify
   * (see `generateReceiptKey`). Without keys receipts are unsigned.
   */
  receiptKeys?: readonly ReceiptKeyInput[];
  /**
   * Refuse appends that bring neither gates, a guard receipt nor a bypass reason (`GuardRequired`).
   * Denial records are exempt. Default false.
   */
  requireGates?: boolean;
  /** Where failures the journal works around (a snapshot it could not write) are reported. */
  logger?: Logger;
}

/** Options of {@link openReadOnly}. */
export interface ReadOnlyOptions {
  /** How often `waitFor` polls for the writer's progress. Default 20 ms. */
  pollIntervalMs?: number;
  /** Keys to verify receipts with (public keys suffice). */
  receiptKeys?: readonly ReceiptKeyInput[];
  /** Where failures the journal works around are reported. */
  logger?: Logger;
}

/** How {@link Journal} came up. */
export interface OpenReport {
  /** `new`: empty directory; `snapshot`: index loaded and tail scanned; `rebuild`: full scan. */
  readonly path: 'new' | 'snapshot' | 'rebuild';
  /** Why a snapshot was not used (absent, damaged, stale...). */
  readonly snapshotRejected: string | null;
  /** Frames decoded from segments during open. */
  readonly eventsScanned: number;
  /** Bytes of a torn tail removed from the last segment. */
  readonly truncatedBytes: number;
  /** Events of an uncommitted batch that were discarded. */
  readonly discardedBatchEvents: number;
  readonly segments: number;
  readonly events: number;
  readonly durationMs: number;
}

/** A stream as {@link Journal.streams} lists it. */
export interface StreamSummary {
  readonly entity: string;
  readonly scope: string;
  readonly events: number;
}

/** Sizes and counts. */
export interface JournalStats {
  readonly events: number;
  readonly streams: number;
  readonly segments: number;
  /** Bytes of all segment files. */
  readonly bytes: number;
  /** Bytes held by the in-memory index. */
  readonly indexBytes: number;
  /** The index snapshot (writers only; null on a read-only journal). */
  readonly snapshot: SnapshotStatus | null;
}

/**
 * How index snapshots are going. A snapshot only shortens the next open, so one that cannot be
 * written (a full disk, say) is logged and tried again later while appends go on.
 */
export interface SnapshotStatus {
  /** Events covered by the newest snapshot this writer wrote or opened from (0: none). */
  readonly events: number;
  /** When this writer last wrote one (ms since the epoch), or null. */
  readonly writtenAt: number | null;
  /** Snapshots that failed since the journal was opened. */
  readonly failures: number;
  /** Why the latest attempt failed, or null when it succeeded (or none was made). */
  readonly lastError: string | null;
}

/** Where verification found the first break. */
export interface ChainBreak {
  readonly reason: 'hash-mismatch' | 'prev-hash-mismatch' | 'sequence' | 'corrupt-frame';
  readonly entity: string | null;
  readonly streamVersion: number | null;
  readonly position: number | null;
  readonly segment: number;
  readonly offset: number;
  readonly message: string;
}

/** Result of {@link Journal.verify}. */
export interface VerifyResult {
  readonly ok: boolean;
  readonly events: number;
  readonly streams: number;
  readonly firstBreak: ChainBreak | null;
}

/** Options of {@link Journal.verify}. */
export interface VerifyOptions {
  /** Called every few thousand events and once at the end. */
  onProgress?: (checked: number, total: number) => void;
}

/**
 * Turns a payload of one version into the next version's shape. It gets the stored event (with the
 * older data) for context and must not mutate it.
 */
export type Upcaster = (data: unknown, event: StoredEvent) => unknown;

/** What {@link Journal.declarePayloadVersion} records for an event type. */
export interface PayloadVersionDeclaration {
  /** The payload version this code writes and reads. Appends without a version get it. */
  current: number;
  /** `upcasters[v]` turns a version-`v` payload into version `v + 1`; reads chain them up to `current`. */
  upcasters?: Record<number, Upcaster>;
}
