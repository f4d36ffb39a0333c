/**
 * Several child processes share one queue on PostgreSQL and MariaDB while one of them is killed with
 * SIGKILL now and then. Afterwards every message was handled, each partition in order, and in
 * transactional mode none twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../src/index.js';
import { TSX_LOADER } from '../helpers.js';
import { waitFor } from './conformance.js';
import { type DatabaseKind, mysqlKind, postgresKind, requireOrSkip, type TestDatabase } from './databases.js';

const consumerScript = fileURLToPath(new URL('../fixtures/outbox-consumer.ts', import.meta.url));
const MESSAGES = 600;
const PARTITIONS = 8;

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
});

/** Starts a consumer process and resolves once its outbox runs. */
function spawnConsumer(db: TestDatabase, mode: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, consumerScript, db.url, db.prefix, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('READY') && resolve(child));
    child.on('exit', (code) => reject(new Error(`consumer exited early with ${code}`)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const kind of [postgresKind, mysqlKind] as DatabaseKind[]) {
  const available = await requireOrSkip(kind);
  describe.skipIf(!available)(`outbox shared by several processes on ${kind.dialect}`, () => {
    for (const mode of ['leased', 'transactional'] as const) {
      it(`${mode}: a SIGKILLed consumer loses nothing and breaks no partition order${mode === 'transactional' ? ' or exactly-once' : ''}`, async () => {
        const db = await kind.create();
        const producer = await Outbox.producer(db.url, {
          prefix: db.prefix,
          queues: { work: { partitions: PARTITIONS } },
        });
        try {
          await db.query(
            `CREATE TABLE ${db.prefix}_deliveries (id ${kind.dialect === 'postgres' ? 'bigserial' : 'bigint AUTO_INCREMENT'} PRIMARY KEY, message_id varchar(64) NOT NULL, part integer NOT NULL, seq bigint NOT NULL, pid integer NOT NULL)`,
          );
          const consumers = await Promise.all([1, 2, 3].map(() => spawnConsumer(db, mode)));
          const sent: string[] = [];
          let kills = 0;
          for (let i = 0; i < MESSAGES; ) {
            const n = Math.min(MESSAGES - i, 1 + Math.floor(Math.random() * 8));
            const batch = Array.from({ length: n }, (_, j) => ({
              type: 'Work',
              key: `k${(i + j) % 37}`,
              payload: { i: i + j },
            }));
            const results = await db.transaction((tx) => producer.enqueueBatch(tx, 'work', batch));
            sent.push(...results.map((r) => r.id));
            i += n;
            if (i % 150 < n && kills < 3) {
              // Kill a random consumer mid-work and start a replacement.
              const victim = consumers.splice(Math.floor(Math.random() * consumers.length), 1)[0];
              victim.kill('SIGKILL');
              kills++;
              consumers.push(await spawnConsumer(db, mode));
            }
            await sleep(2);
          }
          expect(kills).toBe(3);
          await waitFor(
            async () => (await producer.stats()).every((s) => s.depth === 0),
            60_000,
            'every message delivered',
          );
          const rows = await db.query(
            `SELECT message_id, part, seq FROM ${db.prefix}_deliveries ORDER BY id`,
          );
          const delivered = new Set(rows.map((r) => String(r.message_id)));
          expect(sent.every((id) => delivered.has(id))).toBe(true);
          // Per partition, first deliveries come in sequence order 1, 2, 3, ... with no gap.
          const firsts = new Map<number, number[]>();
          const seen = new Set<string>();
          for (const r of rows) {
            if (seen.has(String(r.message_id))) continue;
            seen.add(String(r.message_id));
            const p = Number(r.part);
            firsts.set(p, [...(firsts.get(p) ?? []), Number(r.seq)]);
          }
          let total = 0;
          for (const seqs of firsts.values()) {
            expect(seqs).toEqual(seqs.map((_, i) => i + 1));
            total += seqs.length;
          }
          expect(total).toBe(MESSAGES);
          if (mode === 'transactional') expect(rows).toHaveLength(MESSAGES);
          await Promise.all(
            consumers.map(
              (c) =>
                new Promise<void>((resolve) => {
                  c.on('exit', () => resolve());
                  c.kill('SIGTERM');
                }),
            ),
          );
        } finally {
          await producer.stop();
          await db.query(`DROP TABLE IF EXISTS ${db.prefix}_deliveries`);
          await db.close();
        }
      }, 120_000);
    }
  });
}
