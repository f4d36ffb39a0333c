/**
 * Consumer processes for multi-process and fault tests: each runs test/fixtures/outbox-consumer.ts
 * and records every delivery in `<prefix>_deliveries`, which the checks below read.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { TSX_LOADER } from '../helpers.js';
import type { TestDatabase } from './databases.js';

const consumerScript = fileURLToPath(new URL('../fixtures/outbox-consumer.ts', import.meta.url));

export type DeliveryMode = 'leased' | 'transactional';

/** Consumer processes started by a test, killed after it. */
export const consumers = new Set<ChildProcess>();

export function killConsumers(): void {
  for (const c of consumers) c.kill('SIGKILL');
  consumers.clear();
}

/** Starts a consumer of queue `work` and resolves once its outbox runs. */
export function spawnConsumer(url: string, prefix: string, mode: DeliveryMode): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, consumerScript, url, prefix, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  consumers.add(child);
  child.on('exit', () => consumers.delete(child));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('READY') && resolve(child));
    child.on('exit', (code) => reject(new Error(`consumer exited early with ${code}`)));
  });
}

/** Stops consumers gracefully (SIGTERM) and waits for them to exit. */
export function stopConsumers(list: ChildProcess[]): Promise<unknown> {
  return Promise.all(
    list.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.on('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
}

export async function createDeliveries(db: TestDatabase): Promise<void> {
  const id = db.dialect === 'postgres' ? 'bigserial' : 'bigint AUTO_INCREMENT';
  await db.query(
    `CREATE TABLE ${db.prefix}_deliveries (id ${id} PRIMARY KEY, message_id varchar(64) NOT NULL, part integer NOT NULL, seq bigint NOT NULL, pid integer NOT NULL)`,
  );
}

export const dropDeliveries = (db: TestDatabase) => db.query(`DROP TABLE IF EXISTS ${db.prefix}_deliveries`);

/**
 * Every message in `sent` was delivered; per partition the first deliveries come in sequence order
 * 1, 2, 3, ... with no gap; in transactional mode nothing was delivered twice.
 */
export async function expectDeliveredInOrder(db: TestDatabase, sent: string[], mode: DeliveryMode) {
  const rows = await db.query(`SELECT message_id, part, seq FROM ${db.prefix}_deliveries ORDER BY id`);
  const delivered = new Set(rows.map((r) => String(r.message_id)));
  expect(sent.filter((id) => !delivered.has(id))).toEqual([]);
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
  expect(total).toBe(sent.length);
  if (mode === 'transactional') expect(rows).toHaveLength(sent.length);
}
