import { crc32 } from 'node:zlib';

/** A frame is `u32 body length | u32 CRC32 of body | body` (little-endian). */
export const FRAME_HEADER_BYTES = 8;

/** Wraps a body into a frame. */
export function frameOf(body: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out.writeUInt32LE(body.length, 0);
  out.writeUInt32LE(crc32(body), 4);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

/** Why a scan stopped before the end of the bytes it was given. */
export interface ScanStop {
  /** File offset of the frame that could not be read. */
  readonly offset: number;
  readonly reason: string;
  /**
   * True when the damage can only be a write cut short: the frame runs past the end of the file, or
   * it is the very last frame, or everything from it on is zero bytes.
   */
  readonly torn: boolean;
}

/**
 * Walks the frames in `buf` (file bytes from `baseOffset`; the file is `fileSize` long) and calls
 * `onFrame` for each whole, CRC-valid frame. Returns the offset after the last frame consumed and, if it
 * stopped on a bad frame, why. A frame that continues past `buf` but not past the file is left for the
 * next call (`needBytes` says how large a buffer it needs).
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
      return { next: offset, stop: { offset, reason: 'incomplete frame header', torn: true }, needBytes: 0 };
    }
    const len = buf.readUInt32LE(o);
    const end = o + FRAME_HEADER_BYTES + len;
    if (len === 0) {
      const torn = isFileEnd && allZero(buf, o);
      return { next: offset, stop: { offset, reason: 'zero-length frame', torn }, needBytes: 0 };
    }
    if (end > buf.length) {
      if (offset + FRAME_HEADER_BYTES + len > fileSize) {
        return {
          next: offset,
          stop: { offset, reason: 'frame runs past the end of the file', torn: true },
          needBytes: 0,
        };
      }
      return { next: offset, stop: null, needBytes: FRAME_HEADER_BYTES + len };
    }
    const body = buf.subarray(o + FRAME_HEADER_BYTES, end);
    if (crc32(body) !== buf.readUInt32LE(o + 4)) {
      const torn = isFileEnd && (end === buf.length || allZero(buf, o + FRAME_HEADER_BYTES));
      return { next: offset, stop: { offset, reason: 'CRC mismatch', torn }, needBytes: 0 };
    }
    onFrame(body, offset, end - o);
    o = end;
  }
  return { next: baseOffset + o, stop: null, needBytes: 0 };
}

function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}
