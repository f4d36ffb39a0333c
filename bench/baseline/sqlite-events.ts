import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * The hand-written baseline: an events table in SQLite (WAL) with a per-stream version check and a
 * SHA-256 chain, the way an application would build it without Causeway.
 */
export class SqliteEventStore {
  private readonly db: Database.Database;
  private readonly head: Database.Statement<[string], { version: number; hash: Buffer }>;
  private readonly insert: Database.Statement;
  readonly appendOne: (stream: string, type: string, data: string) => void;
  readonly appendMany: (items: { stream: string; type: string; data: string }[]) => void;

  constructor(dir: string, synchronous: 'NORMAL' | 'FULL') {
    this.db = new Database(path.join(dir, 'events.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS events (
      position INTEGER PRIMARY KEY, stream TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL,
      data TEXT NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL, UNIQUE (stream, version))`);
    this.head = this.db.prepare(
      'SELECT version, hash FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1',
    );
    this.insert = this.db.prepare(
      'INSERT INTO events (stream, version, type, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const one = (stream: string, type: string, data: string) => {
      const head = this.head.get(stream);
      const prev = head ? head.hash : ZERO;
      const hash = crypto.createHash('sha256').update(prev).update(type).update(data).digest();
      this.insert.run(stream, head ? head.version + 1 : 0, type, data, prev, hash);
    };
    this.appendOne = this.db.transaction(one);
    this.appendMany = this.db.transaction((items) => {
      for (const it of items) one(it.stream, it.type, it.data);
    });
  }

  close(): void {
    this.db.close();
  }
}

const ZERO = Buffer.alloc(32);
