import fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { CorruptData } from '../errors.js';
import { type EventRecord, FrameKind, mayStartFrameBody, messagePackEnd } from './codec.js';
import { decodeFrameBody } from './event-frame.js';
import type { JournalIndex } from './index/journal-index.js';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES, type ScanStop, scanFrames } from './storage/frame.js';
import { checkSegmentHeader, io, SEGMENT_HEADER_BYTES, segmentPath } from './storage/segment.js';

const CHUNK_BYTES = 16 << 20;
/** How long a reader waits before each new look at what seems to be damage. */
const READER_RECHECK_MS = [0, 10, 50];

/** Where valid data ends, and what the scan had to set aside to get there. */
export interface ScanOutcome {
  /** Segment and offset just after the last committed frame. */
  segment: number;
  offset: number;
  eventsScanned: number;
  /**
   * Writer only: where the last segment must be cut because a torn write or an uncommitted batch
   * follows the data; null when what follows is nothing or zero-filled space.
   */
  cutAt: number | null;
  /** Bytes of torn write or uncommitted batch that the cut removes. */
  discardedBytes: number;
  discardedBatchEvents: number;
}

/**
 * `writer`: the tail of the last segment is judged (zero-filled space, torn write, or damage) and
 * what must go is reported in `cutAt`. `reader`: the scan stops at the first frame it cannot read in
 * the last segment, which may be one the writer is copying in at this very moment; when real data
 * follows that frame, and still does when it looks again, it is damage ({@link CorruptData}).
 */
export type ScanMode = 'writer' | 'reader';

interface PendingBatch {
  offset: number;
  count: number;
  events: { record: EventRecord; offset: number; length: number }[];
}

/**
 * Reads frames from (`segment`, `offset`) to the end of the last segment into `index`.
 * Damage in the middle of the journal is a {@link CorruptData} error naming segment and offset. At the
 * end of the last segment, zero-filled space is the end of the data; a torn last write or a batch
 * without its commit is not data, and the writer cuts it off.
 */
export function scanSegments(
  dir: string,
  segments: number[],
  index: JournalIndex,
  from: { segment: number; offset: number },
  mode: ScanMode,
): ScanOutcome {
  const outcome: ScanOutcome = {
    ...from,
    eventsScanned: 0,
    cutAt: null,
    discardedBytes: 0,
    discardedBatchEvents: 0,
  };
  const todo = segments.filter((s) => s >= from.segment);
  for (let i = 0; i < todo.length; i++) {
    const segment = todo[i];
    const isLast = i === todo.length - 1;
    const file = segmentPath(dir, segment);
    const fd = io('open segment', file, () => fs.openSync(file, 'r'));
    try {
      let size = fs.fstatSync(fd).size;
      let offset = segment === from.segment ? from.offset : SEGMENT_HEADER_BYTES;
      if (offset === SEGMENT_HEADER_BYTES || segment !== from.segment) {
        const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
        const n = fs.readSync(fd, header, 0, SEGMENT_HEADER_BYTES, 0);
        const problem = checkSegmentHeader(header.subarray(0, n), segment);
        if (problem !== null) {
          // A segment whose creation was cut short holds nothing yet.
          if (isLast && n < SEGMENT_HEADER_BYTES) {
            Object.assign(outcome, { segment, offset: SEGMENT_HEADER_BYTES });
            break;
          }
          throw new CorruptData(problem, { file, segment, offset: 0 });
        }
        offset = SEGMENT_HEADER_BYTES;
      }
      outcome.segment = segment;
      outcome.offset = offset;
      let pending: PendingBatch | null = null;
      const onFrame = (body: Buffer, frameOffset: number, length: number): void => {
        const decoded = decodeFrameBody(body);
        if (typeof decoded === 'string')
          throw new CorruptData(decoded, { file, segment, offset: frameOffset });
        if (decoded.kind === FrameKind.Event) {
          outcome.eventsScanned++;
          if (pending) pending.events.push({ record: decoded.event, offset: frameOffset, length });
          else {
            insertChecked(index, decoded.event, segment, frameOffset, length, file);
            outcome.offset = frameOffset + length;
          }
        } else if (decoded.kind === FrameKind.BatchBegin) {
          if (pending)
            throw new CorruptData('batch begins inside another batch', {
              file,
              segment,
              offset: frameOffset,
            });
          pending = { offset: frameOffset, count: decoded.count, events: [] };
        } else {
          if (!pending || pending.count !== decoded.count || pending.events.length !== decoded.count) {
            throw new CorruptData('batch commit does not match its batch', {
              file,
              segment,
              offset: frameOffset,
            });
          }
          for (const e of pending.events) insertChecked(index, e.record, segment, e.offset, e.length, file);
          pending = null;
          outcome.offset = frameOffset + length;
          index.markEnd(segment, outcome.offset);
        }
      };
      let read = offset;
      let chunkBytes = CHUNK_BYTES;
      let stop: ScanStop | null = null;
      for (let recheck = 0; ; recheck++) {
        const stoppedAt = stop?.offset;
        stop = null;
        while (read < size && !stop) {
          const want = Math.min(chunkBytes, size - read);
          const chunk = readFully(fd, file, read, want);
          // A writer sealing the segment trims its zero-filled tail: what was read is all there is.
          if (chunk.length < want) size = read + chunk.length;
          const scanned = scanFrames(chunk, read, size, onFrame);
          stop = scanned.stop;
          chunkBytes = Math.max(CHUNK_BYTES, scanned.needBytes);
          read = scanned.next;
        }
        // A reader that finds real data after a frame it cannot read has met damage, unless the
        // writer was copying that frame in as it looked. It looks again; once the frame reads, the
        // write is done, and where this look stopped is judged by the next catch-up.
        if (mode === 'writer' || !isLast || !stop) break;
        if (recheck > 0 && stop.offset !== stoppedAt) break;
        if (tailEnd(fd, file, stop, size) !== -1) break;
        if (recheck === READER_RECHECK_MS.length)
          throw new CorruptData(stop.reason, { file, segment, offset: stop.offset });
        pause(READER_RECHECK_MS[recheck]);
        size = fs.fstatSync(fd).size;
      }
      const batch = pending as PendingBatch | null;
      if (!isLast) {
        if (stop) throw new CorruptData(stop.reason, { file, segment, offset: stop.offset });
        if (batch) throw new CorruptData('batch without its commit', { file, segment, offset: batch.offset });
        continue;
      }
      if (mode === 'reader') break;
      // The writer judges what follows the last committed frame.
      let junkEnd = stop ? tailEnd(fd, file, stop, size) : read;
      if (junkEnd === -1) throw new CorruptData(stop!.reason, { file, segment, offset: stop!.offset });
      if (batch) {
        outcome.discardedBatchEvents = batch.events.length;
        junkEnd = Math.max(junkEnd, read);
      }
      if (junkEnd > outcome.offset) {
        outcome.cutAt = outcome.offset;
        outcome.discardedBytes = junkEnd - outcome.offset;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  return outcome;
}

/**
 * Judges the bytes from a frame that could not be read to the end of the last segment. Returns where
 * the torn write ends (the frame's own start when nothing but zeros follows: preallocated space), or
 * -1 when real data follows the bad frame: damage, not a write cut short.
 *
 * A frame may end where its length field says or, when its body starts like a frame body, where the
 * body's own MessagePack structure ends; a write cut short leaves only zeros after every such end.
 * A body whose structure is whole and matches the frame's CRC was written whole: its length field
 * is damaged. A frame cut off by the end of the file is torn when its header and body agree (a
 * length this journal could have written, a structure that reaches no further than that length),
 * whatever its bytes hold, since a payload may itself contain frames; otherwise it is torn only if
 * no whole frame lies anywhere after it.
 */
function tailEnd(fd: number, file: string, stop: ScanStop, size: number): number {
  const tail = readFully(fd, file, stop.offset, size - stop.offset);
  if (stop.zeroHeader) return isZeroFrom(tail, 0) ? stop.offset : -1;
  if (tail.length < FRAME_HEADER_BYTES) return stop.offset + tail.length;
  const lengthEnd = FRAME_HEADER_BYTES + tail.readUInt32LE(0);
  const frameLike = mayStartFrameBody(tail, FRAME_HEADER_BYTES);
  const bodyEnd = frameLike ? messagePackEnd(tail, FRAME_HEADER_BYTES, tail.length) : -1;
  const wholeBody = bodyEnd > FRAME_HEADER_BYTES && bodyEnd <= tail.length;
  if (
    wholeBody &&
    bodyEnd !== lengthEnd &&
    crc32(tail.subarray(FRAME_HEADER_BYTES, bodyEnd)) === tail.readUInt32LE(4)
  )
    return -1;
  const ends: number[] = [];
  if (lengthEnd <= tail.length) ends.push(lengthEnd);
  if (wholeBody) ends.push(bodyEnd);
  if (ends.length > 0) {
    for (const end of ends) if (!isZeroFrom(tail, end)) return -1;
    // A write cut short loses whole sectors, which read as zeros. A frame whose header and body
    // agree and that has no zero sector was written whole and changed since: damage, not a tear.
    if (wholeBody && bodyEnd === lengthEnd && !hasZeroSector(tail, stop.offset, lengthEnd)) return -1;
    return stop.offset + Math.max(...ends);
  }
  const cutOffFrame = bodyEnd > tail.length && bodyEnd <= lengthEnd && lengthEnd <= MAX_FRAME_BYTES;
  return cutOffFrame || !holdsFrameAfter(tail, 1) ? size : -1;
}

/** True when a whole, CRC-valid frame starts anywhere in `tail` from `from`. */
function holdsFrameAfter(tail: Buffer, from: number): boolean {
  for (let p = from; p + FRAME_HEADER_BYTES < tail.length; p++) {
    if (!mayStartFrameBody(tail, p + FRAME_HEADER_BYTES)) continue;
    const len = tail.readUInt32LE(p);
    const end = p + FRAME_HEADER_BYTES + len;
    if (
      len > 0 &&
      end <= tail.length &&
      crc32(tail.subarray(p + FRAME_HEADER_BYTES, end)) === tail.readUInt32LE(p + 4)
    )
      return true;
  }
  return false;
}

const SECTOR_BYTES = 512;

/**
 * True when some sector's part of `tail[0, length)` (the tail starting at file offset `at`) is all
 * zeros: the part of a frame that a torn write would have left unwritten.
 */
function hasZeroSector(tail: Buffer, at: number, length: number): boolean {
  for (let sector = at - (at % SECTOR_BYTES); sector < at + length; sector += SECTOR_BYTES) {
    const from = Math.max(sector, at) - at;
    const to = Math.min(sector + SECTOR_BYTES, at + length) - at;
    let zero = true;
    for (let i = from; i < to && zero; i++) zero = tail[i] === 0;
    if (zero) return true;
  }
  return false;
}

function isZeroFrom(b: Buffer, from: number): boolean {
  for (let i = from; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Blocks this thread for `ms` (only on the rare path where a reader must look again). */
function pause(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readFully(fd: number, file: string, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = io('read segment', file, () => fs.readSync(fd, buf, done, length - done, position + done));
    if (n === 0) return buf.subarray(0, done);
    done += n;
  }
  return buf;
}

function insertChecked(
  index: JournalIndex,
  r: EventRecord,
  segment: number,
  offset: number,
  length: number,
  file: string,
): void {
  if (r.position !== index.count + 1) {
    throw new CorruptData(`event at position ${r.position} where ${index.count + 1} was due`, {
      file,
      segment,
      offset,
    });
  }
  const due = index.nextVersion(r.entity);
  if (r.streamVersion !== due) {
    throw new CorruptData(`stream ${r.entity} version ${r.streamVersion} where ${due} was due`, {
      file,
      segment,
      offset,
    });
  }
  index.insert(r, segment, offset, length);
}
