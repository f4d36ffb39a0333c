import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leased, Outbox, Result } from '../../src/index.js';

/** A server that accepts connections and never says a word, as a hung database or a black-holing proxy. */
let server: net.Server;
let port: number;
const sockets: net.Socket[] = [];
beforeAll(async () => {
  server = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => {
  for (const s of sockets) s.destroy();
  server.close();
});

describe('a database server that accepts connections and never answers', () => {
  it.each([
    ['postgres', () => `postgres://postgres@127.0.0.1:${port}/app`],
    ['mysql', () => `mysql://root@127.0.0.1:${port}/app`],
  ])(
    'fails %s start-up with DatabaseUnavailable once the connect timeout passes, rather than waiting forever',
    async (_, url) => {
      const started = Date.now();
      const start = Outbox.start(url(), {
        queues: { q: { partitions: 1, delivery: leased(async () => Result.ok()) } },
      });
      await expect(start).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(15_000);
    },
    20_000,
  );

  it.each([
    ['postgres', () => `postgres://postgres@127.0.0.1:${port}/app`],
    ['mysql', () => `mysql://root@127.0.0.1:${port}/app`],
  ])(
    'fails a %s outbox that only verifies its schema as soon, not after waiting twice',
    async (_, url) => {
      const started = Date.now();
      await expect(Outbox.producer(url(), { migrate: 'verify' })).rejects.toMatchObject({
        code: 'DATABASE_UNAVAILABLE',
      });
      expect(Date.now() - started).toBeLessThan(15_000);
    },
    25_000,
  );

  it("honours a PostgreSQL URL's connect_timeout (seconds)", async () => {
    const started = Date.now();
    await expect(
      Outbox.producer(`postgres://postgres@127.0.0.1:${port}/app?connect_timeout=1`),
    ).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(5_000);
  }, 15_000);
});
