import { properPrefixes } from '../coordinate.js';
import { type Column, U32List } from './growable.js';
import { JournalIndex } from './journal-index.js';

/** The index as a manifest (small, MessagePack) plus binary blobs (columns and posting lists). */
export interface IndexImage {
  manifest: IndexManifest;
  blobs: Uint8Array[];
}

interface IndexManifest {
  count: number;
  endSegment: number;
  endOffset: number;
  streams: string[];
  types: string[];
  scopes: string[];
  prefixes: string[];
  idempotency: [string, number, Uint8Array][];
  externalCorrelation: [string, number, number][];
  externalEffects: string[];
  /** Length of every posting list, in the order they are concatenated in the last blob. */
  listLengths: number[];
}

const bytesOf = (a: ArrayBufferView, length = a.byteLength): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, length);

function allLists(index: JournalIndex): U32List[] {
  return [
    ...index.streamSlots,
    ...index.typePostings,
    ...index.scopePostings,
    ...index.prefixPostings.values(),
    ...index.externalEffects.values(),
  ];
}

export function imageOf(index: JournalIndex): IndexImage {
  const n = index.count;
  const streams = index.streamNames.length;
  const blobs: Uint8Array[] = index
    .slotColumns()
    .map((c) => bytesOf(c.array, n * c.width * c.array.BYTES_PER_ELEMENT));
  blobs.push(bytesOf(index.streamScope.array, streams * 4));
  blobs.push(bytesOf(index.streamLastHash.array, streams * 32));
  blobs.push(bytesOf(index.streamLastTimestamp.array, streams * 8));
  const lists = allLists(index);
  const total = lists.reduce((sum, l) => sum + l.length, 0);
  const concatenated = new Uint32Array(total);
  let at = 0;
  for (const l of lists) {
    concatenated.set(l.view(), at);
    at += l.length;
  }
  blobs.push(bytesOf(concatenated));
  return {
    manifest: {
      count: n,
      endSegment: index.endSegment,
      endOffset: index.endOffset,
      streams: index.streamNames,
      types: index.types.names,
      scopes: index.scopes.names,
      prefixes: [...index.prefixPostings.keys()],
      idempotency: [...index.idempotency].map(([key, e]) => [key, e.slot, e.digest]),
      externalCorrelation: [...index.externalCorrelation].map(([key, g]) => [key, g.head, g.tail]),
      externalEffects: [...index.externalEffects.keys()],
      listLengths: lists.map((l) => l.length),
    },
    blobs,
  };
}

/** Copies a blob into fresh, aligned memory as the requested typed array. */
function typed<T>(blob: Uint8Array, ctor: { new (buffer: ArrayBuffer): T }): T {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new ctor(copy.buffer);
}

/** Rebuilds an index from an image; throws if the image is inconsistent. */
export function indexFromImage(image: IndexImage): JournalIndex {
  const { manifest: m, blobs } = image;
  const index = new JournalIndex();
  const columns = index.slotColumns();
  if (blobs.length !== columns.length + 4)
    throw new Error(`expected ${columns.length + 4} blobs, found ${blobs.length}`);
  columns.forEach((c, i) => {
    const expected = m.count * c.width * c.array.BYTES_PER_ELEMENT;
    if (blobs[i].byteLength !== expected)
      throw new Error(`column ${i} has ${blobs[i].byteLength} bytes, expected ${expected}`);
    (c as Column<Uint8Array>).load(
      typed(blobs[i], c.array.constructor as { new (b: ArrayBuffer): Uint8Array }),
      m.count,
    );
  });
  const k = columns.length;
  const streams = m.streams.length;
  index.streamScope.load(typed(blobs[k], Uint32Array), streams);
  index.streamLastHash.load(typed(blobs[k + 1], Uint8Array), streams);
  index.streamLastTimestamp.load(typed(blobs[k + 2], Float64Array), streams);
  if (index.streamScope.array.length < streams || blobs[k + 1].byteLength !== streams * 32)
    throw new Error('stream tables truncated');

  for (const name of m.types) index.types.intern(name);
  for (const name of m.scopes) index.scopes.intern(name);
  const lists = typed(blobs[k + 3], Uint32Array);
  let at = 0;
  let nextList = 0;
  const takeList = (): U32List => {
    const length = m.listLengths[nextList++];
    if (length === undefined || at + length > lists.length) throw new Error('posting lists truncated');
    const list = new U32List(lists.slice(at, at + length));
    at += length;
    return list;
  };
  m.streams.forEach((name, id) => {
    index.streamNames.push(name);
    index.streamByName.set(name, id);
    index.streamSlots.push(takeList());
  });
  for (let t = 0; t < m.types.length; t++) index.typePostings.push(takeList());
  for (let s = 0; s < m.scopes.length; s++) index.scopePostings.push(takeList());
  for (const prefix of m.prefixes) index.prefixPostings.set(prefix, takeList());
  for (const key of m.externalEffects) index.externalEffects.set(key, takeList());
  if (nextList !== m.listLengths.length || at !== lists.length)
    throw new Error('posting lists do not add up');
  for (const name of m.streams) index.linkStreamPrefixes(properPrefixes(name));
  for (const [key, slot, digest] of m.idempotency)
    index.idempotency.set(key, { slot, digest: Buffer.from(digest) });
  for (const [key, head, tail] of m.externalCorrelation) index.externalCorrelation.set(key, { head, tail });
  index.count = m.count;
  index.endSegment = m.endSegment;
  index.endOffset = m.endOffset;
  index.idTable.rebuild(m.count);
  return index;
}
