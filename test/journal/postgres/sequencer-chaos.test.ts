/**
 * The sequencer under faults: its leader killed mid-round again and again, a stale leader fenced
 * off, an appender killed between its commit and any wake-up, a transaction held open for 30 s,
 * and the server itself restarted (a cluster of the test's own). Nothing acknowledged is lost,
 * positions stay dense and the chains verify.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CausewayError, coordinate } from '../../../src/index.js';
import { PostgresJournal } from '../../../src/journal/postgres/journal.js';
import { type Child, fixture, sleep, startChild } from '../../children.js';
import { PG_URL } from '../../outbox/databases.js';
import { canCreatePostgres, createPostgres, type OwnServer } from '../../outbox/own-servers.js';
import { expectJournalIntact } from './intact.js';
import { journalSchemas } from './schemas.js';

const { available, admin, newSchema } = await journalSchemas();

/** The application name of the session leading `schema`'s sequencing, if any. */
async function leader(schema: string): Promise<string | undefined> {
  const { rows } = await admin.query(
    `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
       AND l.objid::bigint = hashtext($1)::bigint & 4294967295`,
    [`${schema}.sequencer`],
  );
  return rows[0]?.name;
}

describe.skipIf(!available)('the PostgreSQL journal sequencer under faults', () => {
  it('loses nothing when the leading process is killed mid-round, again and again', {
    timeout: 120_000,
  }, async () => {
    const schema = newSchema('lead');
    await (await PostgresJournal.open(PG_URL, { schema })).close();
    const start = (worker: string): Child => {
      const url = new URL(PG_URL);
      url.searchParams.set('application_name', worker);
      return startChild(fixture('pg-journal-appender.ts'), [url.href, schema, worker]);
    };
    const children = new Map(['a', 'b', 'c'].map((w) => [w, start(w)]));
    await Promise.all([...children.values()].map((c) => c.ready));
    const retired: Child[] = [];
    const killAll = async () => {
      for (const c of children.values()) c.proc.kill('SIGKILL');
      await Promise.all([...children.values()].map((c) => c.exited));
    };
    let kills = 0;
    for (let round = 0; kills < 5 && round < 200; round++) {
      await sleep(100 + Math.random() * 300);
      const name = await leader(schema);
      const victim = name === undefined ? undefined : children.get(name);
      if (victim === undefined) continue;
      victim.proc.kill('SIGKILL');
      await victim.exited;
      retired.push(victim);
      kills++;
      const fresh = `${name}${kills}`;
      children.delete(name!);
      children.set(fresh, start(fresh));
      await children.get(fresh)!.ready;
    }
    await sleep(500);
    await killAll();
    expect(kills).toBe(5);

    const acked = [...children.values(), ...retired].flatMap((c) =>
      c.lines.filter((l) => l.startsWith('ACK ')).map((l) => l.split(' ')[2]),
    );
    expect(acked.length).toBeGreaterThan(50);
    const journal = await PostgresJournal.open(PG_URL, { schema, pollIntervalMs: 10 });
    try {
      await expectJournalIntact(journal, admin, schema, acked);
    } finally {
      await journal.close();
    }
  });

  it('fences off a sequencer that lost the lead: its round writes nothing', async () => {
    const schema = newSchema('fence');
    const journal = await PostgresJournal.open(PG_URL, { schema });
    try {
      for (let i = 0; i < 3; i++)
        await journal.append(coordinate('order:1', 'shop'), { type: 'Placed', data: { i } });
      const before = (await admin.query(`SELECT * FROM ${schema}.log ORDER BY position`)).rows;
      // A round logged against head 1, long since moved to 3, as a paused leader would send it.
      const stale = admin.query(
        `SELECT * FROM ${schema}.sequence_round(1, '{1}', '{2}', '{order:1}', '{1}', '{shop}', '{Placed}',
           ARRAY['\\x00'::bytea], ARRAY['\\x00'::bytea], 10)`,
      );
      await expect(stale).rejects.toMatchObject({ code: '40001' });
      expect((await admin.query(`SELECT * FROM ${schema}.log ORDER BY position`)).rows).toEqual(before);
      expect((await journal.verify()).ok).toBe(true);
    } finally {
      await journal.close();
    }
  });

  it('sequences an event whose appender died right after its commit, before any wake-up', async () => {
    const schema = newSchema('orphan');
    const journal = await PostgresJournal.open(PG_URL, { schema, pollIntervalMs: 50 });
    try {
      const child = startChild(fixture('pg-journal-commit-then-die.ts'), [PG_URL, schema]);
      const line = await child.ready;
      await child.exited;
      const id = line.split(' ')[1];
      const deadline = Date.now() + 5000;
      while ((await journal.get(id)) === undefined && Date.now() < deadline) await sleep(20);
      expect(await journal.get(id)).toMatchObject({ id, position: 1, entity: 'order:dies' });
      await expectJournalIntact(journal, admin, schema, [id]);
    } finally {
      await journal.close();
    }
  });

  it("does not hold up other appenders' events while a transaction stays open for 30 s", {
    timeout: 60_000,
  }, async () => {
    const schema = newSchema('held');
    const journal = await PostgresJournal.open(PG_URL, { schema });
    const client = await admin.connect();
    try {
      await client.query('BEGIN');
      const held = await journal.appendIn(client, coordinate('order:held', 'shop'), {
        type: 'Placed',
        data: {},
      });
      // An append to the held stream waits for that transaction, as it must; nothing else does.
      const queued = journal.append(coordinate('order:held', 'shop'), { type: 'Paid', data: {} });
      const openedAt = Date.now();
      const slowest: number[] = [];
      const acked: string[] = [];
      for (let i = 0; Date.now() - openedAt < 30_000; i++) {
        const t = Date.now();
        const receipts = await Promise.all(
          [0, 1, 2, 3].map((s) =>
            journal.append(coordinate(`order:${s}`, 'shop'), { type: 'Tick', data: { i } }),
          ),
        );
        acked.push(...receipts.map((r) => r.id));
        slowest.push(Date.now() - t);
        await sleep(200);
      }
      expect(Math.max(...slowest)).toBeLessThan(1000);
      await client.query('COMMIT');
      const [late] = await journal.sequenced([held]);
      const paid = await queued;
      expect(paid.streamVersion).toBe(1);
      expect(late.position).toBeGreaterThan(acked.length - 4); // it took its place when it committed
      await expectJournalIntact(journal, admin, schema, [...acked, held.id, paid.id]);
    } finally {
      client.release();
      await journal.close();
    }
  });
});

const ownServer = canCreatePostgres();
if (!ownServer && process.env.CI)
  throw new Error('PostgreSQL clusters cannot be created here, and CI requires it');

describe.skipIf(!ownServer)('the PostgreSQL journal across a server restart (a cluster of its own)', () => {
  let server: OwnServer;
  beforeAll(async () => {
    server = await createPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.remove();
  }, 60_000);

  it('reconnects and loses nothing acknowledged when the server restarts under appenders', {
    timeout: 120_000,
  }, async () => {
    const schema = 'journal_restart';
    const journal = await PostgresJournal.open(server.url, { schema, pollIntervalMs: 50 });
    const acked: string[] = [];
    const failures = new Set<string>();
    let stop = false;
    const appender = async (w: number) => {
      for (let n = 0; !stop; n++) {
        while (!stop) {
          try {
            const r = await journal.append(
              coordinate(`order:${w}`, 'shop'),
              { type: 'Tick', data: { w, n } },
              { idempotencyKey: `${w}-${n}` },
            );
            acked.push(r.id);
            break;
          } catch (err) {
            failures.add(err instanceof CausewayError ? err.code : String(err));
            await sleep(50);
          }
        }
      }
    };
    const running = [0, 1, 2, 3].map(appender);
    await sleep(1500);
    await server.restart();
    await sleep(1500);
    await server.restart();
    await sleep(1500);
    stop = true;
    await Promise.all(running);
    const ackedAfterRestarts = acked.length;
    expect(ackedAfterRestarts).toBeGreaterThan(100);
    for (const code of failures) expect(code).toMatch(/^DATABASE_(UNAVAILABLE|ERROR)$/);
    const check = new pg.Pool({ connectionString: server.url, max: 1 });
    try {
      await expectJournalIntact(journal, check, schema, acked);
      // Appends go on as before once the server is back.
      const r = await journal.append(coordinate('order:after', 'shop'), { type: 'Tick', data: {} });
      expect(r.position).toBeGreaterThan(ackedAfterRestarts - 1);
    } finally {
      await check.end();
      await journal.close();
    }
  });
});
