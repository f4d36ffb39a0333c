/** Outbox behaviour that needs no running workers: routing, wake-up payloads, configuration mistakes. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgument,
  leased,
  Outbox,
  type OutboxOptions,
  partitionForKey,
  Result,
  toSqlExecutor,
  UnsupportedDatabase,
} from '../../src/index.js';
import { parseWakePayload, sequencePayload } from '../../src/outbox/enqueue.js';
import { tempDir } from '../helpers.js';

describe('partition routing', () => {
  it('hashes keys with FNV-1a, so a key lands on the same partition everywhere', () => {
    expect(partitionForKey('foobar', 2 ** 32)).toBe(0xbf9cf968); // published FNV-1a 32-bit vector
    expect(partitionForKey('', 2 ** 32)).toBe(0x811c9dc5);
    expect([
      partitionForKey('order-1', 16),
      partitionForKey('order-2', 16),
      partitionForKey('é', 16),
    ]).toEqual([13, 4, 1]);
  });

  it('spreads keys over every partition', () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[partitionForKey(`order-${i}`, 16)]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});

describe('wake-up payloads', () => {
  it('round-trip partition ids, fall back to "everywhere" when too long, and ignore garbage', () => {
    expect(parseWakePayload(sequencePayload([3, 1, 3]))).toEqual({ kind: 's', ids: [3, 1], from: undefined });
    expect(parseWakePayload('p:7,8@host:1:ab')).toEqual({ kind: 'p', ids: [7, 8], from: 'host:1:ab' });
    const many = Array.from({ length: 3000 }, (_, i) => i + 100_000);
    expect(parseWakePayload(sequencePayload(many))).toEqual({ kind: 's', ids: null, from: undefined });
    expect(parseWakePayload('hello')).toBeNull();
    expect(parseWakePayload('s:1;drop')).toBeNull();
  });
});

describe('outbox configuration', () => {
  const sqliteUrl = () => `sqlite:${path.join(tempDir(), 'app.db')}`;
  const handler = leased(async () => Result.ok());

  it('rejects configuration mistakes with InvalidArgument before touching the database', async () => {
    const mistakes: OutboxOptions[] = [
      { prefix: 'Has-Dash' },
      { prefix: '1starts_with_digit' },
      { processors: 0 },
      { maintenance: { guaranteed: 0, shared: 1 } },
      { tuning: { sequencerBatch: -1 } },
      { maxPayloadBytes: 0 },
      { migrate: 'sometimes' as never },
      { queues: { 'bad name': { partitions: 1 } } },
      { queues: { q: { partitions: 0 } } },
      { queues: { q: { partitions: 1, delivery: { mode: 'weird' } as never } } },
      { queues: { q: { partitions: 1, delivery: leased(async () => Result.ok(), { maxAttempts: 0 }) } } },
      { queues: { q: { partitions: 1, delivery: leased(async () => Result.ok(), { leaseMs: 50 }) } } },
      { queues: { q: { partitions: 1, delivery: leased(async () => Result.ok(), { batchSize: 1.5 }) } } },
      { prefix: null as never },
      { queues: null as never },
      { onError: 'x' as never },
      { onDeadLetter: 1 as never },
      { owner: 'host\u0000' },
      { owner: 'x'.repeat(201) },
      { processors: null as never },
      { migrate: null as never },
      { queus: { q: { partitions: 1 } } } as never,
      { tuning: { pollIntervalMS: 5 } as never },
      { tuning: { pollIntervalMs: 2 ** 31 } },
      { maintenance: { guaranteed: 1, shred: 1 } as never },
      { queues: { q: { partitions: 1, deliver: handler } as never } },
      {
        queues: {
          q: { partitions: 1, delivery: leased(async () => Result.ok(), { maxAttempt: 3 } as never) },
        },
      },
      {
        queues: { q: { partitions: 1, delivery: leased(async () => Result.ok(), { handlerTimeoutMs: 0 }) } },
      },
      {
        queues: {
          q: {
            partitions: 1,
            delivery: leased(async () => Result.ok(), { retryBackoff: { initalMs: 5 } as never }),
          },
        },
      },
      {
        queues: {
          q: {
            partitions: 1,
            delivery: leased(async () => Result.ok(), { retryBackoff: { initialMs: 10, maxMs: 5 } }),
          },
        },
      },
    ];
    for (const options of mistakes) {
      const url = sqliteUrl();
      await expect(Outbox.start(url, options), JSON.stringify(options)).rejects.toBeInstanceOf(
        InvalidArgument,
      );
      expect(fs.existsSync(url.slice('sqlite:'.length))).toBe(false);
    }
    expect(() => leased(42 as never)).toThrow(InvalidArgument);
    expect(() => Outbox.builder(sqliteUrl()).queue('q', 1, handler).queue('q', 1)).toThrow(InvalidArgument);
  });

  it('refuses databases it cannot use', async () => {
    await expect(Outbox.producer(':memory:')).rejects.toBeInstanceOf(UnsupportedDatabase);
    await expect(Outbox.producer('sqlite::memory:')).rejects.toBeInstanceOf(UnsupportedDatabase);
    await expect(Outbox.producer('oracle://db/x')).rejects.toBeInstanceOf(UnsupportedDatabase);
    await expect(Outbox.producer(new Database(':memory:'))).rejects.toBeInstanceOf(UnsupportedDatabase);
    await expect(Outbox.producer({ hello: 1 })).rejects.toBeInstanceOf(UnsupportedDatabase);
  });

  it('tells a transaction of the wrong kind from one it can join', async () => {
    const pool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
    try {
      expect(() => toSqlExecutor(pool, 'sqlite')).toThrow(UnsupportedDatabase);
      expect(() => toSqlExecutor(new Database(':memory:'), 'postgres')).toThrow(UnsupportedDatabase);
      expect(() => toSqlExecutor(42 as never, 'mysql')).toThrow(UnsupportedDatabase);
      expect(toSqlExecutor(pool, 'postgres').dialect).toBe('postgres');
      const outbox = await Outbox.producer(sqliteUrl(), { queues: { q: { partitions: 1 } } });
      expect(() => outbox.enqueueSync(pool, 'q', { type: 'T', payload: 1 })).toThrow(UnsupportedDatabase);
      await outbox.stop();
    } finally {
      await pool.end();
    }
  });

  it('prints the schema of every dialect', () => {
    for (const dialect of ['postgres', 'mysql', 'sqlite'] as const) {
      const sql = Outbox.migrationSql(dialect, 'shop');
      for (const t of [
        'queues',
        'partitions',
        'incoming',
        'outgoing',
        'processors',
        'vacuum',
        'dead_letters',
        'dedupe',
      ])
        expect(sql).toContain(`CREATE TABLE shop_${t}`);
      expect(sql).toContain('INSERT INTO shop_migrations (version, name) VALUES (1,');
    }
    expect(() => Outbox.migrationSql('oracle' as never)).toThrow(InvalidArgument);
    expect(() => Outbox.migrationSql('postgres', 'x; DROP TABLE users')).toThrow(InvalidArgument);
  });
});
