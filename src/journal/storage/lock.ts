import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { JournalLocked } from '../../errors.js';

const LOCK_FILE = 'writer.lock';
const HOLDER_FILE = 'writer.holder';

/**
 * The one-writer-per-directory lock. It is an exclusive SQLite lock (an OS file lock), so the kernel
 * releases it when the holder dies, even by SIGKILL, and it holds between handles of one process too.
 * Who holds it is written beside it, for the error message.
 */
export class WriterLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly dir: string,
  ) {}

  static acquire(dir: string): WriterLock {
    const db = new Database(path.join(dir, LOCK_FILE), { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (at INTEGER); COMMIT');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new JournalLocked(dir, readHolder(dir));
      throw err;
    }
    const holder = `pid ${process.pid} on ${os.hostname()} since ${new Date().toISOString()}`;
    fs.writeFileSync(path.join(dir, HOLDER_FILE), holder);
    return new WriterLock(db, dir);
  }

  release(): void {
    try {
      fs.rmSync(path.join(this.dir, HOLDER_FILE), { force: true });
    } finally {
      this.db.close();
    }
  }
}

function readHolder(dir: string): string {
  try {
    return fs.readFileSync(path.join(dir, HOLDER_FILE), 'utf8').trim() || 'another writer';
  } catch {
    return 'another writer';
  }
}
