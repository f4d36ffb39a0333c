/**
 * Consumers of a journal in PostgreSQL across processes: one worker per checkpoint id at a time,
 * taken over once its holder stops or dies, and checkpoints saved in the handler's transaction.
 */
import { describe, expect, it } from 'vitest';
import { CursorWorkerAction, coordinate, DatabaseUnavailable } from '../../../src/index.js';
import { PostgresJournal } from '../../../src/journal/postgres/journal.js';
import { fixture, sleep, startChild } from '../../children.js';
import { PG_URL } from '../../outbox/databases.js';
import { journalSchemas } from './schemas.js';

const { available, admin, newSchema } = await journalSchemas();

async function eventually(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const order = (n: number) => coordinate(`order:${n}`, 'shop');

describe.skipIf(!available)('cursor workers on a journal in PostgreSQL', () => {
  it('run one at a time per checkpoint id across processes; a killed holder is taken over once its lease lapses, losing nothing', {
    timeout: 60_000,
  }, async () => {
    const schema = newSchema('cw');
    const journal = await PostgresJournal.open(PG_URL, { schema });
    const child = startChild(fixture('pg-cursor-worker.ts'), [PG_URL, schema, 'billing', '1000']);
    try {
      await child.ready;
      for (let n = 1; n <= 5; n++) await journal.append(order(n), { type: 'Placed', data: { n } });
      await eventually(
        () => child.lines.filter((l) => l.startsWith('GOT')).length === 5,
        'the child to get 5',
      );

      // The same checkpoint here waits while the child holds it.
      const here: number[] = [];
      const worker = journal.cursorWorker(
        {},
        { checkpointId: 'billing', leaseMs: 1000, pollIntervalMs: 50 },
        (batch) => {
          for (const e of batch) here.push(e.position);
          return CursorWorkerAction.continue;
        },
      );
      for (let n = 6; n <= 8; n++) await journal.append(order(n), { type: 'Placed', data: { n } });
      await eventually(
        () => child.lines.filter((l) => l.startsWith('GOT')).length === 8,
        'the child to get 8',
      );
      expect(here).toEqual([]);

      child.proc.kill('SIGKILL');
      await child.exited;
      const killedAt = Date.now();
      for (let n = 9; n <= 10; n++) await journal.append(order(n), { type: 'Placed', data: { n } });
      await eventually(() => here.length >= 2, 'the takeover', 10_000);
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(500); // it waited for the lease to lapse
      await worker.stopAndJoin();
      // Each event was handled by one of them, in order; at most the child's last batch twice.
      const child8 = child.lines.filter((l) => l.startsWith('GOT')).map((l) => Number(l.split(' ')[1]));
      expect(child8).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(here.at(-1)).toBe(10);
      expect(here[0]).toBeGreaterThanOrEqual(8);
    } finally {
      child.proc.kill('SIGKILL');
      await journal.close();
    }
  });

  it("save their checkpoint in the handler's transaction: rolled back, neither the rows nor the progress stay", async () => {
    const schema = newSchema('cwtx');
    await admin.query(`DROP TABLE IF EXISTS ${schema}_totals`);
    await admin.query(`CREATE TABLE ${schema}_totals (entity text PRIMARY KEY, n integer)`);
    const journal = await PostgresJournal.open(PG_URL, { schema });
    try {
      for (let n = 1; n <= 4; n++) await journal.append(order(n), { type: 'Placed', data: { n } });
      let failOnce = true;
      const worker = journal.cursorWorker(
        {},
        {
          checkpointId: 'totals',
          batchSize: 2,
          restart: { kind: 'bounded', maxRestarts: 5, withinMs: 60_000 },
        },
        async (batch, context) => {
          const client = await admin.connect();
          try {
            await client.query('BEGIN');
            for (const e of batch)
              await client.query(`INSERT INTO ${schema}_totals VALUES ($1, $2)`, [
                e.entity,
                (e.data as { n: number }).n,
              ]);
            await context.saveCheckpointIn!(client);
            if (failOnce && batch[0].position === 3) {
              failOnce = false;
              throw new Error('the handler fails after its writes, before its commit');
            }
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK');
            throw err;
          } finally {
            client.release();
          }
          return CursorWorkerAction.continue;
        },
      );
      await eventually(
        async () => (await admin.query(`SELECT count(*)::int AS n FROM ${schema}_totals`)).rows[0].n === 4,
        'four rows',
      );
      await worker.stopAndJoin();
      expect(worker.restarts).toBe(1);
      const saved = await admin.query(`SELECT position FROM ${schema}.checkpoints WHERE id = 'totals'`);
      expect(Number(saved.rows[0].position)).toBe(4);
      // Exactly once: each event's row once (a second insert would have failed on the key).
      expect(
        (await admin.query(`SELECT entity FROM ${schema}_totals ORDER BY n`)).rows.map((r) => r.entity),
      ).toEqual(['order:1', 'order:2', 'order:3', 'order:4']);
    } finally {
      await journal.close();
      await admin.query(`DROP TABLE IF EXISTS ${schema}_totals`);
    }
  });

  it('are woken by LISTEN when another process appends, once per round, and again after their listening session is killed', {
    timeout: 30_000,
  }, async () => {
    const schema = newSchema('cwlisten');
    const writer = await PostgresJournal.open(PG_URL, { schema });
    const url = new URL(PG_URL);
    url.searchParams.set('application_name', `reader${process.pid}`);
    const reader = await PostgresJournal.open(url.href, { schema, pollIntervalMs: 600_000 });
    const got: number[] = [];
    const worker = reader.cursorWorker({}, { checkpointId: 'listen', pollIntervalMs: 600_000 }, (batch) => {
      for (const e of batch) got.push(e.position);
      return CursorWorkerAction.continue;
    });
    try {
      await writer.append(order(1), { type: 'Placed', data: {} });
      await eventually(() => got.length === 1, 'a wake-up by LISTEN', 5_000);
      // The reader's listening session dies: it listens again and reads what it missed.
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
        [`reader${process.pid}`],
      );
      expect(killed.rows).toHaveLength(1);
      for (let n = 2; n <= 3; n++) await writer.append(order(n), { type: 'Placed', data: {} });
      await eventually(() => got.length === 3, 'the events announced while not listening', 10_000);
      expect(got).toEqual([1, 2, 3]);
    } finally {
      await worker.stopAndJoin();
      await reader.close();
      await writer.close();
    }
  });

  it('go back to waiting when their lease is taken while idle, and take it again once it is free', async () => {
    const schema = newSchema('cwsteal');
    const journal = await PostgresJournal.open(PG_URL, { schema });
    const got: number[] = [];
    const worker = journal.cursorWorker(
      {},
      { checkpointId: 'w', leaseMs: 300, pollIntervalMs: 20 },
      (batch) => {
        for (const e of batch) got.push(e.position);
        return CursorWorkerAction.continue;
      },
    );
    try {
      await journal.append(order(1), { type: 'Placed', data: {} });
      await eventually(() => got.length === 1, 'the first event');
      // Another consumer takes the lease (as one would after this process paused past its term).
      await admin.query(
        `UPDATE ${schema}.checkpoints SET lease_owner = 'other', lease_expires_at = ${Date.now() + 1000} WHERE id = 'w'`,
      );
      await journal.append(order(2), { type: 'Placed', data: {} });
      await sleep(400);
      expect(got).toEqual([1]); // no batch is handed out while the other holds the lease
      await eventually(() => got.length === 2, 'the takeover once the lease lapses', 5000);
      expect(got).toEqual([1, 2]);
      const saved = await admin.query(
        `SELECT position, lease_owner FROM ${schema}.checkpoints WHERE id = 'w'`,
      );
      expect(Number(saved.rows[0].position)).toBe(2);
      expect(saved.rows[0].lease_owner).not.toBe('other');
    } finally {
      await worker.stopAndJoin();
      await journal.close();
    }
  });

  it('pause through database failures in their handler instead of spending their restart budget', async () => {
    const schema = newSchema('cwdown');
    const journal = await PostgresJournal.open(PG_URL, { schema });
    let failures = 3;
    const got: number[] = [];
    const worker = journal.cursorWorker({}, { checkpointId: 'd', pollIntervalMs: 20 }, async (batch) => {
      if (failures-- > 0) throw new DatabaseUnavailable('postgres', new Error('connection terminated'));
      for (const e of batch) got.push(e.position);
      return CursorWorkerAction.continue;
    });
    try {
      await journal.append(order(1), { type: 'Placed', data: {} });
      await eventually(() => got.length === 1, 'the event after the outage', 10_000);
      expect(worker.restarts).toBe(0);
    } finally {
      await worker.stopAndJoin();
      await journal.close();
    }
  });

  it('start a new checkpoint after the end of the journal and wait there, refusing sizes that are not safe integers', async () => {
    const schema = newSchema('cwafter');
    const journal = await PostgresJournal.open(PG_URL, { schema });
    try {
      expect(() => journal.cursorWorker({}, { batchSize: 1e20 }, () => CursorWorkerAction.continue)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
      const got: number[] = [];
      const worker = journal.cursorWorker(
        {},
        { checkpointId: 'late', after: 2, pollIntervalMs: 20 },
        (batch) => {
          for (const e of batch) got.push(e.position);
          return CursorWorkerAction.continue;
        },
      );
      await sleep(200);
      for (let n = 1; n <= 3; n++) await journal.append(order(n), { type: 'Placed', data: {} });
      await eventually(() => got.length === 1, 'the event after position 2');
      await worker.stopAndJoin();
      expect(got).toEqual([3]);
    } finally {
      await journal.close();
    }
  });

  it('keep a projection cache sound when apply throws halfway through', async () => {
    const schema = newSchema('projthrow');
    const journal = await PostgresJournal.open(PG_URL, { schema });
    try {
      let throwAt = 5;
      const counter = {
        name: 'counter',
        version: 1,
        initial: () => ({ n: 0 }),
        apply: (s: { n: number }, e: { position: number }) => {
          if (e.position === throwAt) throw new Error('apply failed');
          s.n++; // updates its state in place, as apply may
          return s;
        },
      };
      for (let n = 1; n <= 3; n++) await journal.append(order(n), { type: 'Placed', data: {} });
      expect((await journal.project(counter)).state.n).toBe(3);
      for (let n = 4; n <= 6; n++) await journal.append(order(n), { type: 'Placed', data: {} });
      await expect(journal.project(counter)).rejects.toThrow('apply failed');
      throwAt = 0;
      expect((await journal.project(counter)).state.n).toBe(6);
    } finally {
      await journal.close();
    }
  });

  it('refuse a checkpoint id saved for another region', async () => {
    const schema = newSchema('cwreg');
    const journal = await PostgresJournal.open(PG_URL, { schema });
    try {
      await journal.append(order(1), { type: 'Placed', data: {} });
      const first = journal.cursorWorker(
        { types: ['Placed'] },
        { checkpointId: 'c1' },
        () => CursorWorkerAction.stop,
      );
      await first.join();
      const second = journal.cursorWorker(
        { types: ['Paid'] },
        { checkpointId: 'c1' },
        () => CursorWorkerAction.continue,
      );
      await expect(second.join()).rejects.toMatchObject({ code: 'CHECKPOINT_REGION_MISMATCH' });
    } finally {
      await journal.close();
    }
  });
});
