import { crc32 } from 'node:zlib';
import { CorruptData } from '../../errors.js';
import { decodeExtensions } from '../../gates/extensions.js';
import { type EventRecord, FrameKind, unpack } from '../codec.js';
import { decodeFrameBody } from '../event-frame.js';
import { idToString } from '../ids.js';
import type { JournalIndex } from '../index/journal-index.js';
import { FRAME_HEADER_BYTES } from '../storage/frame.js';
import { type SegmentFiles, segmentPath } from '../storage/segment.js';
import type { StoredEvent } from '../types.js';
import { decodeStoredEvent } from './frame-decoder.js';

// Frames closer than this are read with one call; the gap bytes are cheaper than another syscall.
const COALESCE_GAP = 16 << 10;
const MAX_SPAN = 4 << 20;

/** Reads events by slot from segment files, checking each frame's CRC. */
export class EventReader {
  constructor(
    private readonly files: SegmentFiles,
    private readonly index: JournalIndex,
    private readonly dir: string,
  ) {}

  /** Records of `slots`, in the order given. */
  records(slots: readonly number[]): EventRecord[] {
    return this.read(slots, (buf, start, end, segment, slot) =>
      this.decode(buf.subarray(start, end), segment, slot),
    );
  }

  record(slot: number): EventRecord {
    return this.records([slot])[0];
  }

  events(slots: readonly number[]): StoredEvent[] {
    return this.read(slots, (buf, start, end, segment, slot) => this.event(buf, start, end, segment, slot));
  }

  /**
   * Reads the frames of `slots` and decodes each with `decode`, given the bytes read, the frame's
   * range in them, its segment and slot.
   */
  private read<T>(
    slots: readonly number[],
    decode: (buf: Buffer, start: number, end: number, segment: number, slot: number) => T,
  ): T[] {
    const { segmentOf, offsetOf, lengthOf } = this.index;
    const out: T[] = new Array(slots.length);
    let i = 0;
    while (i < slots.length) {
      const segment = segmentOf.array[slots[i]];
      const start = offsetOf.array[slots[i]];
      let end = start + lengthOf.array[slots[i]];
      let j = i + 1;
      // Extend the run while the next frame follows closely in the same segment.
      while (j < slots.length && segmentOf.array[slots[j]] === segment) {
        const off = offsetOf.array[slots[j]];
        const frameEnd = off + lengthOf.array[slots[j]];
        if (off < start || off > end + COALESCE_GAP || frameEnd - start > MAX_SPAN) break;
        end = Math.max(end, frameEnd);
        j++;
      }
      const buf = this.files.read(segment, start, end - start);
      for (let k = i; k < j; k++) {
        const slot = slots[k];
        const at = offsetOf.array[slot] - start;
        out[k] = decode(buf, at, at + lengthOf.array[slot], segment, slot);
      }
      i = j;
    }
    return out;
  }

  /** The event in buf[start, end): decoded directly when it has the usual shape, else via its record. */
  private event(buf: Buffer, start: number, end: number, segment: number, slot: number): StoredEvent {
    const body = start + FRAME_HEADER_BYTES;
    if (end >= body && buf.readUInt32LE(start) === end - body) {
      const view = new Uint8Array(buf.buffer, buf.byteOffset + body, end - body);
      if (crc32(view) === buf.readUInt32LE(start + 4)) {
        const e = this.decodeDirect(buf, body, end, slot);
        if (e !== undefined && e.position === slot + 1) return e;
      }
    }
    return toStoredEvent(this.decode(buf.subarray(start, end), segment, slot));
  }

  private decodeDirect(buf: Buffer, start: number, end: number, slot: number): StoredEvent | undefined {
    const { streamOf, streamNames, streamScope, scopes, typeOf, types } = this.index;
    const stream = streamOf.array[slot];
    return decodeStoredEvent(
      buf,
      start,
      end,
      streamNames[stream],
      scopes.names[streamScope.array[stream]],
      types.names[typeOf.array[slot]],
    );
  }

  private decode(frame: Buffer, segment: number, slot: number): EventRecord {
    const problem = frameProblem(frame, slot);
    if (typeof problem !== 'string') return problem;
    const offset = this.index.offsetOf.array[slot];
    throw new CorruptData(problem, { file: segmentPath(this.dir, segment), segment, offset });
  }
}

/** The indexed event in `frame`, or what is wrong with the frame. */
function frameProblem(frame: Buffer, slot: number): EventRecord | string {
  if (frame.readUInt32LE(0) + FRAME_HEADER_BYTES !== frame.length)
    return 'frame length differs from the index';
  const body = frame.subarray(FRAME_HEADER_BYTES);
  if (crc32(body) !== frame.readUInt32LE(4)) return 'CRC mismatch';
  const decoded = decodeFrameBody(body);
  if (typeof decoded === 'string') return decoded;
  if (decoded.kind !== FrameKind.Event || decoded.event.position !== slot + 1)
    return 'frame is not the indexed event';
  return decoded.event;
}

/** The public shape of a stored record, with the payload and metadata decoded. */
export function toStoredEvent(r: EventRecord): StoredEvent {
  return {
    id: idToString(r.id),
    type: r.type,
    data: unpack(r.data),
    metadata: r.metadata === null ? undefined : (unpack(r.metadata) as Record<string, unknown>),
    entity: r.entity,
    scope: r.scope,
    streamVersion: r.streamVersion,
    position: r.position,
    timestamp: r.timestamp,
    correlationId: idToString(r.correlation),
    causationId: r.causation === null ? null : idToString(r.causation),
    payloadVersion: r.payloadVersion,
    prevHash: r.prevHash.toString('hex'),
    hash: r.hash.toString('hex'),
    extensions: r.extensions === null ? undefined : decodeExtensions(r.extensions),
  };
}
