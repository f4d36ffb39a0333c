import fs from 'node:fs';
import path from 'node:path';
import { CorruptData, IoError } from '../../errors.js';

/** Segment files start with `CWJSEG`, a u16 format version, the u32 segment id and 4 reserved bytes. */
export const SEGMENT_MAGIC = Buffer.from('CWJSEG');
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 16;

const NAME = /^(\d{8})\.seg$/;

/** True for the name of a segment file. */
export const isSegmentFileName = (name: string): boolean => NAME.test(name);

export const segmentFileName = (id: number): string => `${String(id).padStart(8, '0')}.seg`;
export const segmentPath = (dir: string, id: number): string => path.join(dir, segmentFileName(id));

/** Ids of the segment files in `dir`, ascending. */
export function listSegments(dir: string): number[] {
  return fs
    .readdirSync(dir)
    .map((name) => NAME.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

export function segmentHeader(id: number): Buffer {
  const h = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(h, 0);
  h.writeUInt16LE(SEGMENT_VERSION, 6);
  h.writeUInt32LE(id, 8);
  return h;
}

/** Checks a segment header; `null` means fine, otherwise the reason. */
export function checkSegmentHeader(header: Buffer, id: number): string | null {
  if (header.length < SEGMENT_HEADER_BYTES) return 'header is incomplete';
  if (!header.subarray(0, 6).equals(SEGMENT_MAGIC)) return 'bad magic';
  if (header.readUInt16LE(6) !== SEGMENT_VERSION)
    return `unsupported format version ${header.readUInt16LE(6)}`;
  if (header.readUInt32LE(8) !== id) return `header names segment ${header.readUInt32LE(8)}`;
  return null;
}

/** fsync of a directory, so a created or renamed file survives a power loss. */
export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Wraps a synchronous file call so OS failures surface as {@link IoError}. */
export function io<T>(operation: string, file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new IoError(operation, file, err);
  }
}

const ZEROS = Buffer.alloc(1 << 20);
const MIN_STEP = 64 << 10;

/**
 * The segment being appended to. Only the writer has one. Space ahead of the data is zero-filled in
 * steps, so an append overwrites blocks the file already has: an fsync then flushes data only, not
 * the file's size and allocation, which makes durable appends markedly cheaper. `seal` trims the
 * file to its data; after a crash, recovery knows the zeros for what they are.
 */
export class ActiveSegment {
  private constructor(
    readonly id: number,
    readonly file: string,
    readonly fd: number,
    /** End of the data. */
    public size: number,
    /** End of the file (data plus zero-filled space). */
    private allocated: number,
    private step: number,
  ) {}

  /** Creates a new segment file with its header, durably. */
  static create(dir: string, id: number, preallocateStep: number): ActiveSegment {
    const file = segmentPath(dir, id);
    const fd = io('create segment', file, () => fs.openSync(file, 'wx+'));
    io('write segment header', file, () => {
      fs.writeSync(fd, segmentHeader(id), 0, SEGMENT_HEADER_BYTES, 0);
      fs.fdatasyncSync(fd);
      syncDir(dir);
    });
    return new ActiveSegment(id, file, fd, SEGMENT_HEADER_BYTES, SEGMENT_HEADER_BYTES, preallocateStep);
  }

  /** Opens an existing segment for appending at `size` (what recovery found valid). */
  static resume(dir: string, id: number, size: number, preallocateStep: number): ActiveSegment {
    const file = segmentPath(dir, id);
    const fd = io('open segment', file, () => fs.openSync(file, 'r+'));
    const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
    const n = io('read segment header', file, () => fs.readSync(fd, header, 0, SEGMENT_HEADER_BYTES, 0));
    const problem = checkSegmentHeader(header.subarray(0, n), id);
    if (problem !== null) {
      if (n === SEGMENT_HEADER_BYTES && problem !== 'header is incomplete') {
        fs.closeSync(fd);
        throw new CorruptData(problem, { file, segment: id, offset: 0 });
      }
      // A crash while creating the segment: nothing after the header can exist yet.
      io('rewrite segment header', file, () => {
        fs.ftruncateSync(fd, 0);
        fs.writeSync(fd, segmentHeader(id), 0, SEGMENT_HEADER_BYTES, 0);
        fs.fdatasyncSync(fd);
      });
      size = SEGMENT_HEADER_BYTES;
    }
    const allocated = io('stat segment', file, () => fs.fstatSync(fd).size);
    return new ActiveSegment(id, file, fd, size, Math.max(size, allocated), preallocateStep);
  }

  /**
   * Appends bytes at the end of the data. On failure nothing partial is left as data; `broken` says
   * whether the file could not even be put back as it was (then only a reopen recovers it).
   */
  append(bytes: Buffer): void {
    if (this.size + bytes.length > this.allocated) this.extend(this.size + bytes.length);
    try {
      let done = 0;
      while (done < bytes.length)
        done += fs.writeSync(this.fd, bytes, done, bytes.length - done, this.size + done);
      this.size += bytes.length;
    } catch (err) {
      try {
        // Zeros where the failed write went, so the space reads as unwritten.
        fs.ftruncateSync(this.fd, this.size);
        this.allocated = this.size;
      } catch {
        this.broken = true;
      }
      throw new IoError('append', this.file, err);
    }
  }

  /** True when a failed append could not be undone. */
  broken = false;

  /**
   * Zero-fills the file up to `needed` at least: a whole step when the disk has room, else just
   * what this append needs, so appends use the space there is.
   */
  private extend(needed: number): void {
    const step = Math.max(needed, this.allocated + this.step);
    for (const target of step > needed ? [step, needed] : [needed]) {
      try {
        for (let at = this.allocated; at < target; )
          at += fs.writeSync(this.fd, ZEROS, 0, Math.min(ZEROS.length, target - at), at);
        this.allocated = target;
        return;
      } catch (err) {
        try {
          fs.ftruncateSync(this.fd, this.allocated); // give back what the partial fill took
        } catch {
          this.broken = true;
        }
        if (target === needed || (err as NodeJS.ErrnoException).code !== 'ENOSPC')
          throw new IoError('grow segment', this.file, err);
        this.step = Math.max(MIN_STEP, this.step >> 2); // the disk is nearly full: grow by less
      }
    }
  }

  syncSync(): void {
    io('fsync', this.file, () => fs.fdatasyncSync(this.fd));
  }

  /** Trims the file to its data and makes it durable; the segment takes no more appends. */
  seal(): void {
    io('seal segment', this.file, () => {
      if (this.allocated > this.size) fs.ftruncateSync(this.fd, this.size);
      this.allocated = this.size;
      fs.fdatasyncSync(this.fd);
    });
  }

  close(): void {
    io('close', this.file, () => fs.closeSync(this.fd));
  }
}

/** Read access to segment files by id, with cached descriptors. */
export class SegmentFiles {
  private readonly fds = new Map<number, number>();

  constructor(readonly dir: string) {}

  read(segment: number, offset: number, length: number, into?: Buffer): Buffer {
    const buf = into ?? Buffer.allocUnsafe(length);
    const file = segmentPath(this.dir, segment);
    const fd = this.fd(segment);
    let done = 0;
    while (done < length) {
      const n = io('read', file, () => fs.readSync(fd, buf, done, length - done, offset + done));
      if (n === 0) throw new CorruptData('unexpected end of file', { file, segment, offset: offset + done });
      done += n;
    }
    return buf;
  }

  /**
   * fsyncs a segment through this read-only descriptor: the kernel flushes the file's dirty data
   * whoever wrote it, so a reader can make its writer's events durable.
   */
  sync(segment: number): Promise<void> {
    const fd = this.fd(segment);
    return new Promise((resolve, reject) =>
      fs.fdatasync(fd, (err) =>
        err ? reject(new IoError('fsync', segmentPath(this.dir, segment), err)) : resolve(),
      ),
    );
  }

  syncSync(segment: number): void {
    const fd = this.fd(segment);
    io('fsync', segmentPath(this.dir, segment), () => fs.fdatasyncSync(fd));
  }

  size(segment: number): number {
    return io('stat', segmentPath(this.dir, segment), () => fs.fstatSync(this.fd(segment)).size);
  }

  private fd(segment: number): number {
    let fd = this.fds.get(segment);
    if (fd === undefined) {
      const file = segmentPath(this.dir, segment);
      fd = io('open', file, () => fs.openSync(file, 'r'));
      this.fds.set(segment, fd);
    }
    return fd;
  }

  close(): void {
    for (const fd of this.fds.values()) fs.closeSync(fd);
    this.fds.clear();
  }
}
