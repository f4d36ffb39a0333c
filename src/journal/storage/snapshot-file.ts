import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { pack, unpack } from '../codec.js';
import type { IndexImage } from '../index/index-snapshot.js';
import { io, syncDir } from './segment.js';

/**
 * Snapshot file: `CWJSNAP1`, u32 format version, u32 manifest length, u32 blob count, u32 CRC32 of
 * everything after this 24-byte header; then the manifest (MessagePack), a u32 length per blob, and
 * the blobs. Written to a temporary file, fsynced and renamed, so a reader sees the old or the new.
 */
const MAGIC = Buffer.from('CWJSNAP1');
const VERSION = 1;
const HEADER_BYTES = 24;
export const SNAPSHOT_FILE = 'index.snap';

export function writeSnapshot(dir: string, image: IndexImage): void {
  const file = path.join(dir, SNAPSHOT_FILE);
  const tmp = `${file}.tmp`;
  const manifest = pack(image.manifest);
  const table = Buffer.alloc(4 * image.blobs.length);
  image.blobs.forEach((b, i) => {
    table.writeUInt32LE(b.byteLength, 4 * i);
  });
  let crc = crc32(table, crc32(manifest));
  for (const b of image.blobs) crc = crc32(b, crc);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(VERSION, 8);
  header.writeUInt32LE(manifest.length, 12);
  header.writeUInt32LE(image.blobs.length, 16);
  header.writeUInt32LE(crc, 20);
  io('write snapshot', tmp, () => {
    try {
      const fd = fs.openSync(tmp, 'w');
      try {
        for (const part of [header, manifest, table, ...image.blobs]) {
          let done = 0;
          while (done < part.byteLength) done += fs.writeSync(fd, part, done, part.byteLength - done);
        }
        fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
    } catch (err) {
      // A part-written temporary file would only take space (on a full disk, the space needed).
      try {
        fs.rmSync(tmp, { force: true });
      } catch {}
      throw err;
    }
    syncDir(dir);
  });
}

/** Reads and checks a snapshot: the image, or the reason it cannot be used. */
export function readSnapshot(dir: string): IndexImage | string {
  const file = path.join(dir, SNAPSHOT_FILE);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'no snapshot'
      : `unreadable: ${(err as Error).message}`;
  }
  if (buf.length < HEADER_BYTES || !buf.subarray(0, 8).equals(MAGIC)) return 'bad magic';
  if (buf.readUInt32LE(8) !== VERSION) return `unsupported snapshot version ${buf.readUInt32LE(8)}`;
  const manifestLength = buf.readUInt32LE(12);
  const blobCount = buf.readUInt32LE(16);
  if (crc32(buf.subarray(HEADER_BYTES)) !== buf.readUInt32LE(20)) return 'CRC mismatch';
  let at = HEADER_BYTES;
  const manifestEnd = at + manifestLength;
  const tableEnd = manifestEnd + 4 * blobCount;
  if (tableEnd > buf.length) return 'truncated';
  let manifest: IndexImage['manifest'];
  try {
    manifest = unpack(buf.subarray(at, manifestEnd)) as IndexImage['manifest'];
  } catch {
    return 'undecodable manifest';
  }
  at = tableEnd;
  const blobs: Uint8Array[] = [];
  for (let i = 0; i < blobCount; i++) {
    const length = buf.readUInt32LE(manifestEnd + 4 * i);
    if (at + length > buf.length) return 'truncated';
    blobs.push(buf.subarray(at, at + length));
    at += length;
  }
  if (at !== buf.length) return 'trailing bytes';
  return { manifest, blobs };
}

export function removeSnapshot(dir: string): void {
  fs.rmSync(path.join(dir, SNAPSHOT_FILE), { force: true });
}
