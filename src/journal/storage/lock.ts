import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { IoError, JournalLocked } from '../../errors.js';
import { isSegmentFileName } from './segment.js';

const LOCK_FILE = 'writer.lock';
const HOLDER_FILE = 'writer.holder';
/** The holder record is padded to this size, so rewriting it never needs a new disk block. */
const HOLDER_BYTES = 512;

/** Directories (by real path) this process holds as writer. */
const heldHere = new Set<string>();

/** Who holds (or last held) a journal, as `writer.holder` records it. */
interface Holder {
  pid: number;
  host: string;
  since: string;
  /** The process's start time as the kernel counts it (Linux), telling it apart from a reused pid. */
  started: string | null;
  held: boolean;
  /** The directory held (its real path): a copied journal carries this file to a directory it does not name. */
  dir?: string;
}

/**
 * The one-writer-per-directory lock, three ways at once:
 * - an exclusive SQLite lock on `writer.lock` (an OS file lock: the kernel releases it when the
 *   holder dies, even by SIGKILL, and it works across hosts sharing a file system);
 * - within this process, the set of directories it holds;
 * - `writer.holder`, naming the holder, which is checked for a live process on this host. A deleted
 *   `writer.lock` would admit a second writer to the first two; this check refuses it;
 * - when `writer.lock` had to be created or `writer.holder` is missing (both can be deleted under a
 *   running writer), a look on this host (Linux `/proc`) for a process holding one of the
 *   journal's segments open for writing.
 */
export class WriterLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly dir: string,
    private readonly key: string,
  ) {}

  static acquire(dir: string): WriterLock {
    const key = fs.realpathSync(dir);
    const lockFile = path.join(dir, LOCK_FILE);
    if (heldHere.has(key)) throw new JournalLocked(dir, describe(readHolder(dir)) ?? `this process`);
    const lockExisted = fs.existsSync(lockFile);
    let db: Database.Database;
    try {
      db = new Database(lockFile, { timeout: 0 });
    } catch (err) {
      throw new IoError('open writer lock', lockFile, err);
    }
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (at INTEGER); COMMIT');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY')
        throw new JournalLocked(dir, describe(readHolder(dir)) ?? 'another writer');
      throw new IoError('take writer lock', lockFile, err);
    }
    const previous = readHolder(dir);
    if (previous && isAlive(previous) && (previous.dir ?? key) === key) {
      db.close();
      throw new JournalLocked(dir, describe(previous)!);
    }
    const writing = (lockExisted && previous?.dir === key) || !holdsSegments(dir) ? null : segmentWriter(key);
    if (writing !== null) {
      db.close();
      throw new JournalLocked(
        dir,
        `pid ${writing} on ${os.hostname()}, which has its segments open for writing`,
      );
    }
    writeHolder(dir, {
      pid: process.pid,
      host: os.hostname(),
      since: new Date().toISOString(),
      started: startTime(process.pid),
      held: true,
      dir: key,
    });
    heldHere.add(key);
    return new WriterLock(db, dir, key);
  }

  release(): void {
    heldHere.delete(this.key);
    try {
      const holder = readHolder(this.dir);
      if (holder?.pid === process.pid && holder.held) writeHolder(this.dir, { ...holder, held: false });
    } finally {
      this.db.close();
    }
  }
}

const describe = (h: Holder | null): string | null => h && `pid ${h.pid} on ${h.host} since ${h.since}`;

/**
 * The record is informational past the kernel lock, so a disk too full to rewrite it does not stop
 * a writer (the file keeps its size, so this only fails when it never existed).
 */
function writeHolder(dir: string, holder: Holder): void {
  const file = path.join(dir, HOLDER_FILE);
  const text = Buffer.alloc(HOLDER_BYTES, ' ');
  text.write(JSON.stringify(holder));
  text[HOLDER_BYTES - 1] = 0x0a;
  try {
    const fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w');
    try {
      fs.writeSync(fd, text, 0, HOLDER_BYTES, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Without a record only the kernel lock guards the directory, which is what it is for.
  }
}

function readHolder(dir: string): Holder | null {
  try {
    const h = JSON.parse(fs.readFileSync(path.join(dir, HOLDER_FILE), 'utf8'));
    return Number.isSafeInteger(h?.pid) && typeof h.host === 'string' ? (h as Holder) : null;
  } catch {
    return null;
  }
}

/**
 * Who holds `dir` as its writer by its `writer.holder` record: "pid N on HOST since T" for a live
 * process of this host (or one of another host, which cannot be checked from here), else null.
 * Reads files only, so it never makes a starting writer find the lock busy.
 */
export function recordedWriter(dir: string): string | null {
  const h = readHolder(dir);
  if (!h?.held) return null;
  if (h.host !== os.hostname()) return `${describe(h)} (another host: not checked)`;
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    return null;
  }
  // A journal copied from elsewhere carries the record of the directory it came from.
  if (h.dir !== undefined && h.dir !== real) return null;
  return isAlive(h) || (h.pid === process.pid && heldHere.has(real)) ? describe(h) : null;
}

/** True when the holder still runs: same host, the pid alive, and (where the kernel says) started when it did. */
function isAlive(h: Holder): boolean {
  if (!h.held || h.host !== os.hostname()) return false;
  if (h.pid === process.pid) return false; // this process's own writers are in `heldHere`
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = startTime(h.pid);
  return started !== null && started === h.started;
}

/** The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or null. */
function startTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

const holdsSegments = (dir: string) => fs.readdirSync(dir).some(isSegmentFileName);

/**
 * A process of this host, other than this one, with a segment of the journal in `realDir` open for
 * writing (only its writer opens them so), or null. Linux only; elsewhere null.
 */
function segmentWriter(realDir: string): number | null {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to look at
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (
        path.dirname(target) === realDir &&
        isSegmentFileName(path.basename(target)) &&
        openForWriting(pid, fd)
      )
        return Number(pid);
    }
  }
  return null;
}

/** Whether the descriptor's access mode (the low two bits of its octal `flags`) allows writing. */
function openForWriting(pid: string, fd: string): boolean {
  try {
    const flags = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1];
    return flags !== undefined && (Number.parseInt(flags, 8) & 3) !== 0;
  } catch {
    return false;
  }
}
