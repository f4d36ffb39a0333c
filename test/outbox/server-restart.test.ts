/**
 * The database server restarts, and stops for a while, under producer and consumer processes: a
 * server of the test's own (another port, its own data directory). Afterwards every message is
 * delivered, in order per partition and, in transactional mode, exactly once; every failure an
 * outbox call reported was a typed error; no consumer exited. The time from the server being back
 * to the next delivery is printed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixture, startChild } from '../children.js';
import { waitFor } from './conformance.js';
import {
  createDeliveries,
  expectDeliveredInOrder,
  killConsumers,
  spawnConsumer,
  stopConsumers,
} from './consumers.js';
import { type DatabaseKind, mysqlKind, postgresKind } from './databases.js';
import {
  canCreateMariadb,
  canCreatePostgres,
  createMariadb,
  createPostgres,
  type OwnServer,
} from './own-servers.js';

const MESSAGES = 600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(killConsumers);

const servers: [string, () => Promise<OwnServer>, DatabaseKind, boolean][] = [
  ['PostgreSQL', createPostgres, postgresKind, canCreatePostgres()],
  ['MariaDB', createMariadb, mysqlKind, canCreateMariadb()],
];

for (const [name, create, kind, possible] of servers) {
  if (!possible && process.env.CI) throw new Error(`${name} cannot be created here, and CI requires it`);
  describe.skipIf(!possible)(`outbox across ${name} restarts (a server of its own)`, () => {
    let server: OwnServer;
    beforeAll(async () => {
      server = await create();
    }, 60_000);
    afterAll(async () => {
      await server?.remove();
    }, 60_000);

    for (const mode of ['leased', 'transactional'] as const) {
      it(`${mode}: producers and consumers ride out a restart and a stop, losing nothing${mode === 'transactional' ? ' and delivering nothing twice' : ''}`, async () => {
        const db = await kind.create(server.url);
        /** The test's own reads retry while the server is away. */
        const query = async (sql: string) => {
          for (let i = 0; ; i++) {
            try {
              return await db.query(sql);
            } catch (e) {
              if (i > 100) throw e;
              await sleep(50);
            }
          }
        };
        const delivered = async () =>
          Number((await query(`SELECT COUNT(DISTINCT message_id) AS n FROM ${db.prefix}_deliveries`))[0].n);
        const crashed = () => {
          for (const c of running) if (c.exitCode !== null || c.signalCode !== null) return true;
          return false;
        };
        /** Milliseconds from now until the next delivery. */
        const nextDelivery = async () => {
          const started = Date.now();
          const before = await delivered();
          await waitFor(
            async () => {
              if (crashed()) throw new Error('a consumer exited');
              return (await delivered()) > before;
            },
            30_000,
            'a delivery after the server came back',
          );
          return Date.now() - started;
        };
        await createDeliveries(db);
        const running = await Promise.all([1, 2].map(() => spawnConsumer(server.url, db.prefix, mode)));
        const producer = startChild(fixture('outbox-producer.ts'), [
          server.url,
          db.prefix,
          String(MESSAGES),
          '15',
        ]);
        const sentCount = () => producer.lines.filter((l) => l.startsWith('SENT')).length;
        try {
          await waitFor(() => sentCount() >= 150, 30_000, '150 messages sent');
          await server.restart();
          const afterRestart = await nextDelivery();
          await waitFor(() => sentCount() >= 350, 30_000, '350 messages sent');
          await server.stop();
          await sleep(1500);
          await server.start();
          const afterStop = await nextDelivery();
          await producer.exited;
          expect(producer.lines.at(-1)).toBe('DONE');
          await waitFor(
            async () => !crashed() && (await delivered()) === MESSAGES,
            60_000,
            'every message delivered',
          );
          const sent = producer.lines.filter((l) => l.startsWith('SENT')).map((l) => l.split(' ')[2]);
          expect(new Set(sent).size).toBe(MESSAGES);
          await expectDeliveredInOrder(db, sent, mode);
          expect(producer.lines.filter((l) => l === 'ERROR UNTYPED')).toEqual([]);
          expect(crashed()).toBe(false);
          console.log(
            `[recovery] ${name} ${mode}: next delivery ${afterRestart} ms after a restart, ${afterStop} ms after a 1.5 s stop`,
          );
          await stopConsumers(running);
        } finally {
          producer.proc.kill('SIGKILL');
          await db.close().catch(() => {});
        }
      }, 120_000);
    }
  });
}
