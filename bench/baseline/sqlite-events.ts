import crypto from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';

export interface BaselineEvent {
  stream: string;
  type: string;
  data: unknown;
}

/**
 * The hand-written baseline: an events table in SQLite (WAL) with a per-stream version check and a
 * SHA-256 chain, the way an application would build it without Causeway. `NORMAL` syncs only at WAL
 * checkpoints (the journal's default durability); `FULL` syncs every commit (durable appends).
 */
export class SqliteEventStore {
  private readonly db: Database.Database;
  /** One event per transaction. */
  readonly appendOne: (event: BaselineEvent) => void;
  /** Several events in one transaction. */
  readonly appendMany: (events: readonly BaselineEvent[]) => void;

  constructor(dir: string, synchronous: 'NORMAL' | 'FULL') {
    this.db = new Database(path.join(dir, 'events.db'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.exec(`CREATE TABLE events (
      position INTEGER PRIMARY KEY, stream TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL,
      data TEXT NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL, UNIQUE (stream, version))`);
    // The stream's head (its max version) and hash, found through the (stream, version) index.
    const head = this.db.prepare<[string], { version: number; hash: Buffer }>(
      'SELECT version, hash FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1',
    );
    const insert = this.db.prepare(
      'INSERT INTO events (stream, version, type, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const one = (e: BaselineEvent) => {
      const data = JSON.stringify(e.data);
      const last = head.get(e.stream);
      const prev = last ? last.hash : ZERO_HASH;
      const hash = crypto.createHash('sha256').update(prev).update(data).digest();
      insert.run(e.stream, last ? last.version + 1 : 0, e.type, data, prev, hash);
    };
    this.appendOne = this.db.transaction(one);
    this.appendMany = this.db.transaction((events: readonly BaselineEvent[]) => {
      for (const e of events) one(e);
    });
  }

  close(): void {
    this.db.close();
  }
}

const ZERO_HASH = Buffer.alloc(32);
