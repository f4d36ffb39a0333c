/**
 * A session the server ends (a restart, `pg_terminate_backend`) in the same network read that
 * says it is ready reaches pg-pool's caller before the caller's code has run: that client has no
 * error listener unless the pool gives it one, and an unheard 'error' event ends the process.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresJournal } from '../../src/index.js';
import { outboxPool } from '../../src/outbox/dialects/postgres/connection.js';
import { withPgClient } from '../../src/sql/index.js';
import { recordingLogger } from '../helpers.js';
import { PG_URL, postgresKind, requireOrSkip } from '../outbox/databases.js';

const available = await requireOrSkip(postgresKind);

/** PostgreSQL's FATAL ErrorResponse for a terminated backend. */
function terminated(): Buffer {
  const fields = ['SFATAL', 'VFATAL', 'C57P01', 'Mterminating connection due to administrator command'];
  const body = Buffer.concat([...fields.map((f) => Buffer.from(`${f}\0`)), Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write('E', 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/**
 * A proxy to the PostgreSQL server that ends the first `count` sessions right after the server
 * says they are ready, in the same write; later sessions pass through.
 */
async function endingAtReadiness(count: number) {
  const upstream = new URL(PG_URL);
  let left = count;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const server = net.connect(Number(upstream.port || 5432), upstream.hostname);
    sockets.add(client).add(server);
    client.on('error', () => {});
    server.on('error', () => {});
    client.pipe(server);
    let end = left-- > 0;
    let pending = Buffer.alloc(0);
    server.on('data', (chunk: Buffer) => {
      if (!end) return void client.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      // Server messages: a type byte and a length that counts itself; `Z` is ReadyForQuery.
      for (let at = 0; at + 5 <= pending.length; ) {
        const next = at + 1 + pending.readInt32BE(at + 1);
        if (next > pending.length) break;
        if (pending[at] === 0x5a) {
          client.end(Buffer.concat([pending.subarray(0, next), terminated()]));
          server.destroy();
          end = false;
          return;
        }
        at = next;
      }
    });
    server.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(PG_URL);
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.href,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe.skipIf(!available)('a PostgreSQL session ended as it becomes ready', () => {
  let proxy: Awaited<ReturnType<typeof endingAtReadiness>> | undefined;
  afterEach(async () => {
    await proxy?.close();
  });

  it('fails the outbox pool caller that got it, and the next checkout works', async () => {
    proxy = await endingAtReadiness(1);
    const { logger } = recordingLogger();
    const pool = outboxPool({ connectionString: proxy.url, max: 1 }, logger);
    try {
      await expect(withPgClient(pool, (c) => c.query('SELECT 1'))).rejects.toThrow();
      const r = await withPgClient(pool, (c) => c.query('SELECT 2 AS n'));
      expect(r.rows).toEqual([{ n: 2 }]);
    } finally {
      await pool.end();
    }
  });

  it('fails the opening of a journal with a typed error, and a second opening works', async () => {
    proxy = await endingAtReadiness(1);
    const schema = `ended_${process.pid}`;
    try {
      await expect(openPostgresJournal(proxy.url, { schema })).rejects.toMatchObject({
        code: expect.any(String),
      });
      const journal = await openPostgresJournal(proxy.url, { schema });
      await journal.close();
    } finally {
      const pool = outboxPool({ connectionString: PG_URL }, recordingLogger().logger);
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    }
  });
});
