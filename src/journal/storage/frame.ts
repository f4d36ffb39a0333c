import { crc32 } from 'node:zlib';

/** A frame is `u32 body length | u32 CRC32 of body | body` (little-endian). */
export const FRAME_HEADER_BYTES = 8;

/** The largest frame the journal writes (the ceiling of `maxEventBytes`). */
export const MAX_FRAME_BYTES = 64 << 20;

/** Wraps a body into a frame. */
export function frameOf(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out.writeUInt32LE(body.length, 0);
  out.writeUInt32LE(crc32(body), 4);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

/** A frame that could not be read. */
export interface ScanStop {
  /** File offset of the frame. */
  readonly offset: number;
  readonly reason: string;
  /** Where the frame would end, or null when its header says nothing usable (zero length, cut off). */
  readonly end: number | null;
  /** The frame's length field is zero: no frame was ever written here (preallocated space). */
  readonly zeroHeader: boolean;
}

/**
 * Walks the frames in `buf` (file bytes from `baseOffset`; the file is `fileSize` long) and calls
 * `onFrame` for each whole, CRC-valid frame. Returns the offset after the last frame consumed and, if it
 * stopped on a frame it could not read, that frame. A frame that continues past `buf` but not past the
 * file is left for the next call (`needBytes` says how large a buffer it needs). Whether a stop is the
 * end of the data, a torn write or damage is for the caller to judge.
 */
export function scanFrames(
  buf: Buffer,
  baseOffset: number,
  fileSize: number,
  onFrame: (body: Buffer, offset: number, frameLength: number) => void,
): { next: number; stop: ScanStop | null; needBytes: number } {
  const isFileEnd = baseOffset + buf.length >= fileSize;
  let o = 0;
  while (o < buf.length) {
    const offset = baseOffset + o;
    if (buf.length - o < FRAME_HEADER_BYTES) {
      if (!isFileEnd) break;
      return stopAt(offset, 'incomplete frame header', null);
    }
    const len = buf.readUInt32LE(o);
    if (len === 0) return stopAt(offset, 'zero-length frame', null, true);
    const end = offset + FRAME_HEADER_BYTES + len;
    if (end > fileSize) return stopAt(offset, 'frame runs past the end of the file', null);
    if (end > baseOffset + buf.length)
      return { next: offset, stop: null, needBytes: FRAME_HEADER_BYTES + len };
    const body = buf.subarray(o + FRAME_HEADER_BYTES, o + FRAME_HEADER_BYTES + len);
    if (crc32(body) !== buf.readUInt32LE(o + 4)) return stopAt(offset, 'CRC mismatch', end);
    onFrame(body, offset, FRAME_HEADER_BYTES + len);
    o += FRAME_HEADER_BYTES + len;
  }
  return { next: baseOffset + o, stop: null, needBytes: 0 };
}

function stopAt(offset: number, reason: string, end: number | null, zeroHeader = false) {
  return { next: offset, stop: { offset, reason, end, zeroHeader }, needBytes: 0 };
}
