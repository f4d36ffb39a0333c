import type { EventRecord } from '../codec.js';
import { properPrefixes } from '../coordinate.js';
import { idToString } from '../ids.js';
import { Column, U32List } from './growable.js';
import { IdTable } from './id-table.js';

/** A stream's state as the writer needs it. */
export interface StreamState {
  readonly id: number;
  /** Version of the last event (the stream exists, so at least 0). */
  readonly version: number;
  readonly scope: string;
  readonly lastHash: Buffer;
  readonly lastTimestamp: number;
}

/** What an idempotency key remembers. */
export interface IdempotencyEntry {
  readonly slot: number;
  readonly digest: Buffer;
}

/** Strings numbered in order of first use (event types, scopes). */
export class Interner {
  readonly names: string[] = [];
  private readonly byName = new Map<string, number>();

  id(name: string): number | undefined {
    return this.byName.get(name);
  }

  intern(name: string): number {
    let id = this.byName.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.byName.set(name, id);
    }
    return id;
  }
}

/**
 * The in-memory index of every visible event. Columns are typed arrays addressed by slot
 * (slot = global position - 1) so memory stays near a hundred bytes per event:
 * location on disk, stream, type, causal links and the correlation chain. Streams, types and
 * scopes are numbered; per-stream, per-type, per-scope and per-entity-prefix posting lists make a
 * selective read cost in proportion to what it returns.
 */
export class JournalIndex {
  count = 0;

  // Per slot.
  readonly ids = new Column(Uint8Array, 16);
  readonly segmentOf = new Column(Uint32Array);
  readonly offsetOf = new Column(Uint32Array);
  readonly lengthOf = new Column(Uint32Array);
  readonly streamOf = new Column(Uint32Array);
  readonly typeOf = new Column(Uint32Array);
  /** Slot of the in-journal cause, or -1. */
  readonly causeOf = new Column(Int32Array, 1, -1);
  /** Newest direct effect; effects chain through `nextSibling` (newest first). */
  readonly firstEffect = new Column(Int32Array, 1, -1);
  readonly nextSibling = new Column(Int32Array, 1, -1);
  /** Next slot with the same correlation id. */
  readonly correlationNext = new Column(Int32Array, 1, -1);
  /** For an event whose id is used as a correlation id: first and last slot of that group. */
  readonly correlationHead = new Column(Int32Array, 1, -1);
  readonly correlationTail = new Column(Int32Array, 1, -1);
  readonly idTable = new IdTable(() => this.ids.array);

  // Per stream.
  readonly streamNames: string[] = [];
  readonly streamByName = new Map<string, number>();
  readonly streamScope = new Column(Uint32Array);
  readonly streamLastHash = new Column(Uint8Array, 32);
  readonly streamLastTimestamp = new Column(Float64Array);
  readonly streamSlots: U32List[] = [];
  /** Posting lists of each stream's proper entity prefixes, resolved once per stream. */
  private readonly streamPrefixLists: U32List[][] = [];

  readonly types = new Interner();
  readonly scopes = new Interner();
  readonly typePostings: U32List[] = [];
  readonly scopePostings: U32List[] = [];
  readonly prefixPostings = new Map<string, U32List>();

  readonly idempotency = new Map<string, IdempotencyEntry>();
  /** Correlation ids that are not ids of journal events: first and last slot. */
  readonly externalCorrelation = new Map<string, { head: number; tail: number }>();
  /** Causation ids that are not ids of journal events: the slots they caused. */
  readonly externalEffects = new Map<string, U32List>();

  /** Where the indexed data ends on disk. */
  endSegment = 0;
  endOffset = 0;

  slotOfId(id: Uint8Array): number {
    return this.idTable.find(id);
  }

  idOf(slot: number): Buffer {
    const a = this.ids.array;
    return Buffer.from(a.buffer, a.byteOffset + slot * 16, 16);
  }

  stream(entity: string): StreamState | undefined {
    const id = this.streamByName.get(entity);
    if (id === undefined) return undefined;
    return {
      id,
      version: this.streamSlots[id].length - 1,
      scope: this.scopes.names[this.streamScope.array[id]],
      lastHash: Buffer.from(this.streamLastHash.array.subarray(id * 32, id * 32 + 32)),
      lastTimestamp: this.streamLastTimestamp.array[id],
    };
  }

  /** Version the stream's next event gets (0 for a new stream). */
  nextVersion(entity: string): number {
    const id = this.streamByName.get(entity);
    return id === undefined ? 0 : this.streamSlots[id].length;
  }

  /** Adds the next event; `r.position` must be `count + 1`. */
  insert(r: EventRecord, segment: number, offset: number, length: number): void {
    const slot = this.count;
    const rows = slot + 1;
    if (rows > this.capacity) this.grow(rows);
    this.ids.array.set(r.id, slot * 16);
    this.idTable.insert(r.id, slot);
    this.segmentOf.array[slot] = segment;
    this.offsetOf.array[slot] = offset;
    this.lengthOf.array[slot] = length;

    let stream = this.streamByName.get(r.entity);
    if (stream === undefined) stream = this.addStream(r.entity, this.scopes.intern(r.scope));
    this.streamOf.array[slot] = stream;
    this.streamSlots[stream].push(slot);
    this.streamLastHash.array.set(r.hash, stream * 32);
    this.streamLastTimestamp.array[stream] = r.timestamp;
    for (const list of this.streamPrefixLists[stream]) list.push(slot);
    this.scopePostings[this.streamScope.array[stream]].push(slot);

    const type = this.types.intern(r.type);
    if (type === this.typePostings.length) this.typePostings.push(new U32List());
    this.typeOf.array[slot] = type;
    this.typePostings[type].push(slot);

    this.linkCausation(slot, r.causation);
    this.linkCorrelation(slot, r.correlation, r.correlation === r.id || r.correlation.equals(r.id));
    if (r.idemKey !== null && r.idemDigest !== null) {
      this.idempotency.set(r.idemKey, { slot, digest: Buffer.from(r.idemDigest) });
    }
    this.count = rows;
    this.markEnd(segment, offset + length);
  }

  private capacity = 0;

  private grow(rows: number): void {
    for (const c of this.slotColumns()) c.ensure(rows);
    this.capacity = this.segmentOf.array.length;
  }

  /** Records where committed data ends (after a batch, past its commit marker). */
  markEnd(segment: number, offset: number): void {
    this.endSegment = segment;
    this.endOffset = offset;
  }

  private addStream(entity: string, scope: number): number {
    const id = this.streamNames.length;
    this.streamNames.push(entity);
    this.streamByName.set(entity, id);
    for (const c of [this.streamScope, this.streamLastHash, this.streamLastTimestamp]) c.ensure(id + 1);
    this.streamScope.array[id] = scope;
    this.streamSlots.push(new U32List());
    this.linkStreamPrefixes(properPrefixes(entity));
    if (scope === this.scopePostings.length) this.scopePostings.push(new U32List());
    return id;
  }

  /** Resolves the prefix posting lists of the next stream (in stream order). */
  linkStreamPrefixes(prefixes: string[]): void {
    this.streamPrefixLists.push(prefixes.map((p) => this.prefixList(p)));
  }

  private prefixList(prefix: string): U32List {
    let list = this.prefixPostings.get(prefix);
    if (!list) {
      list = new U32List();
      this.prefixPostings.set(prefix, list);
    }
    return list;
  }

  private linkCausation(slot: number, causation: Buffer | null): void {
    if (causation === null) return;
    const cause = this.idTable.find(causation);
    if (cause === -1) {
      const key = idToString(causation);
      let list = this.externalEffects.get(key);
      if (!list) {
        list = new U32List();
        this.externalEffects.set(key, list);
      }
      list.push(slot);
      return;
    }
    this.causeOf.array[slot] = cause;
    this.nextSibling.array[slot] = this.firstEffect.array[cause];
    this.firstEffect.array[cause] = slot;
  }

  private linkCorrelation(slot: number, correlation: Buffer, ownId: boolean): void {
    const root = ownId ? slot : this.idTable.find(correlation);
    if (root === -1) {
      const key = idToString(correlation);
      const group = this.externalCorrelation.get(key);
      if (group) {
        this.correlationNext.array[group.tail] = slot;
        group.tail = slot;
      } else {
        this.externalCorrelation.set(key, { head: slot, tail: slot });
      }
      return;
    }
    const tail = this.correlationTail.array[root];
    if (tail === -1) this.correlationHead.array[root] = slot;
    else this.correlationNext.array[tail] = slot;
    this.correlationTail.array[root] = slot;
  }

  /** Slots of a correlation group, ascending. */
  correlationSlots(correlation: Buffer): number[] {
    const root = this.idTable.find(correlation);
    let slot =
      root === -1
        ? (this.externalCorrelation.get(idToString(correlation))?.head ?? -1)
        : this.correlationHead.array[root];
    const out: number[] = [];
    while (slot !== -1) {
      out.push(slot);
      slot = this.correlationNext.array[slot];
    }
    return out;
  }

  /** Direct effects of a slot, ascending. */
  effectSlots(slot: number): number[] {
    const out: number[] = [];
    for (let s = this.firstEffect.array[slot]; s !== -1; s = this.nextSibling.array[s]) out.push(s);
    return out.reverse();
  }

  slotColumns(): Column<Uint8Array | Uint32Array | Int32Array>[] {
    return [
      this.ids,
      this.segmentOf,
      this.offsetOf,
      this.lengthOf,
      this.streamOf,
      this.typeOf,
      this.causeOf,
      this.firstEffect,
      this.nextSibling,
      this.correlationNext,
      this.correlationHead,
      this.correlationTail,
    ];
  }

  /** Bytes held, counting typed arrays exactly and estimating maps and strings. */
  memoryBytes(): number {
    let bytes = this.idTable.bytes;
    for (const c of this.slotColumns()) bytes += c.bytes;
    bytes += this.streamScope.bytes + this.streamLastHash.bytes + this.streamLastTimestamp.bytes;
    for (const list of this.streamSlots) bytes += list.bytes;
    for (const list of this.typePostings) bytes += list.bytes;
    for (const list of this.scopePostings) bytes += list.bytes;
    for (const [key, list] of this.prefixPostings) bytes += list.bytes + 64 + key.length * 2;
    for (const name of this.streamNames) bytes += 64 + 2 * name.length + 48;
    bytes += this.idempotency.size * 160 + this.externalCorrelation.size * 120;
    for (const list of this.externalEffects.values()) bytes += list.bytes + 100;
    return bytes;
  }
}
