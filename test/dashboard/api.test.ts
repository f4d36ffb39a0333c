import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { SourceJournal } from '../../src/cli/journal-source.js';
import {
  coordinate,
  generateReceiptKey,
  Outbox,
  openPostgresJournal,
  type PartitionState,
} from '../../src/index.js';
import { freshJournal, recordingLogger } from '../helpers.js';
import { journalSchemas } from '../journal/postgres/schemas.js';
import { ALL_KINDS, type DatabaseKind, PG_URL, requireOrSkip, sqliteKind } from '../outbox/databases.js';
import { eventually } from '../sinks/brokers.js';
import { closeAll, closers, outboxWithDeadLetters, serve } from './fixtures.js';

afterEach(closeAll);

describe('dashboard API', () => {
  it('refuses every request without the token, or with another', async () => {
    const { logger, warnings } = recordingLogger();
    const { call, base, server } = await serve({}, { logger });
    expect((await call('GET', 'overview', undefined, null)).status).toBe(401);
    expect((await call('GET', 'overview', undefined, 'x'.repeat(server.token.length))).json.code).toBe(
      'UNAUTHORIZED',
    );
    expect((await fetch(`${base}/api/overview?token=${server.token}`)).status).toBe(200);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    const withHeaders = (headers: Record<string, string>, method = 'GET') =>
      fetch(`${base}/api/overview`, { method, headers });
    // The scheme is case-insensitive, and needed.
    expect((await withHeaders({ authorization: `bearer ${server.token}` })).status).toBe(200);
    expect((await withHeaders({ authorization: server.token })).status).toBe(401);
    // A page of another host name that resolves here (DNS rebinding) is refused.
    const auth = { authorization: `Bearer ${server.token}` };
    const withHost = (host: string) =>
      new Promise<number>((resolve, reject) =>
        http
          .get(`${base}/api/overview`, { headers: { ...auth, host } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', reject),
      );
    expect(await withHost('evil.example')).toBe(403);
    expect(warnings.map((w) => [w.msg, w.obj.reason])).toContainEqual([
      'dashboard request refused',
      'not served to host "evil.example"',
    ]);
    const page = await new Promise<number>((resolve, reject) =>
      http
        .get(`${base}/?token=${server.token}`, { headers: { host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject),
    );
    expect(page).toBe(403); // the page too
    expect(await withHost(`evil.example:${new URL(base).port}`)).toBe(403);
    expect(await withHost(`localhost:${new URL(base).port}`)).toBe(200);
    expect(await withHost(`LocalHost:${new URL(base).port}`)).toBe(200); // host names in any case
    // A known route asked with another method.
    const head = await withHeaders(auth, 'HEAD');
    expect([head.status, head.headers.get('allow')]).toEqual([405, 'GET']);
    expect((await call('DELETE', 'dead-letters/purge')).json.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('keeps the queue figures over time for the charts, dropping the oldest', async () => {
    const { outbox } = await outboxWithDeadLetters();
    const { call } = await serve({ outbox }, { history: { intervalMs: 40, keepMs: 400 } });
    await new Promise((r) => setTimeout(r, 1000));
    const history = (await call('GET', 'history')).json as unknown as {
      intervalMs: number;
      samples: { at: number; queues: { queue: string; deadLetters: number }[] }[];
    };
    expect(history.intervalMs).toBe(40);
    expect(history.samples.length).toBeGreaterThanOrEqual(3);
    expect(history.samples.length).toBeLessThanOrEqual(12);
    expect(history.samples.at(-1)!.at - history.samples[0].at).toBeLessThanOrEqual(400);
    expect(history.samples.at(-1)!.queues.find((q) => q.queue === 'mail')?.deadLetters).toBe(3);
  });

  it("counts and pages a wide queue's partitions, the stuck ones first", async () => {
    const db = await sqliteKind.create();
    closers.push(() => db.close());
    const outbox = await Outbox.producer(db.url, {
      prefix: db.prefix,
      queues: { wide: { partitions: 2500 } },
    });
    closers.push(() => outbox.stop());
    // Waiting messages in 1,300 partitions, from partition 1,000 on: past the first page.
    await outbox.enqueueAndCommit(
      'wide',
      Array.from({ length: 1300 }, (_, i) => ({ type: 'T', payload: i, partition: 1000 + i })),
    );
    const { call } = await serve({ outbox });
    type Page = { total: number; stuck: number; partitions: PartitionState[] };
    const get = async (query: string) =>
      (await call('GET', `partitions?queue=wide&${query}`)).json as unknown as Page;
    const first = await get('stuckAfterMs=0&limit=1000');
    expect(first).toMatchObject({ total: 2500, stuck: 1300 });
    expect(first.partitions).toHaveLength(1000);
    expect(first.partitions.every((p) => p.stuck === 'waiting')).toBe(true); // stuck first
    const rest = await get('stuckAfterMs=0&limit=1000&offset=2000');
    expect(rest.partitions).toHaveLength(500);
    const stuckOnly = await get('stuckAfterMs=0&limit=1000&offset=1000&stuckOnly=true');
    expect(stuckOnly).toMatchObject({ total: 1300, stuck: 1300 });
    expect(stuckOnly.partitions.map((p) => p.partition)).toEqual(
      Array.from({ length: 300 }, (_, i) => 2000 + i),
    );
    expect((await call('GET', 'partitions?queue=wide&stuckOnly=yes')).status).toBe(400);
  });

  it('refuses actions when read-only, and malformed input with a typed error, changing nothing', async () => {
    const { outbox } = await outboxWithDeadLetters();
    const { logger, warnings, errors } = recordingLogger();
    const readOnly = await serve({ outbox, readOnly: true });
    expect((await readOnly.call('POST', 'dead-letters/purge', { queue: 'mail' })).status).toBe(403);
    const { call } = await serve({ outbox }, { logger });
    for (const [method, route, body] of [
      ['GET', 'dead-letters?limit=0'],
      ['GET', 'dead-letters?limit=abc'],
      ['GET', 'dead-letters?partition=-1'],
      ['GET', 'dead-letters?colour=red'],
      ['POST', 'dead-letters/redrive', { ids: ['1'] }],
      ['POST', 'dead-letters/redrive', { ids: [1], toQueue: 'Bad Name' }],
      ['POST', 'dead-letters/discard', { ids: [] }],
      ['POST', 'dead-letters/discard', '{not json'],
      ['POST', 'dead-letters/purge', [1]],
    ] as const) {
      const r = await call(method, route, body);
      expect(r.status, `${method} ${route} ${JSON.stringify(body)}`).toBe(400);
      expect(r.json.code).toBe('INVALID_ARGUMENT');
    }
    expect((await call('POST', 'dead-letters/redrive', {})).status).toBe(400); // all of them needs a filter
    const unknown = await call('POST', 'dead-letters/redrive', { queue: 'mail', toQueue: 'brandnew' });
    expect([unknown.status, unknown.json.code]).toEqual([404, 'UNKNOWN_QUEUE']);
    expect((await call('GET', 'partitions?queue=nosuch')).status).toBe(404);
    expect((await call('GET', 'no/such/route')).status).toBe(404);
    expect(warnings.filter((w) => w.msg === 'dashboard action refused').length).toBeGreaterThan(5);
    expect((await call('GET', 'journal/streams')).status).toBe(404); // no journal given
    expect((await outbox.stats()).find((q) => q.queue === 'mail')?.deadLetters).toBe(3);
    // A failure the dashboard cannot answer is logged: here the outbox has been stopped.
    await outbox.stop();
    expect((await call('GET', 'overview')).status).toBe(500);
    expect(errors.map((e) => e.msg)).toContain('dashboard request failed');
  });
});

const reachable: DatabaseKind[] = [];
for (const kind of ALL_KINDS) if (await requireOrSkip(kind)) reachable.push(kind);

describe.each(reachable)('dashboard API on an outbox in $dialect', (kind) => {
  it('shows the queues as stats() has them, and the dead letters by filter', async () => {
    const { outbox } = await outboxWithDeadLetters(kind);
    const { call } = await serve({ outbox });
    const overview = await call('GET', 'overview');
    expect(overview.status).toBe(200);
    const queues = (
      overview.json.outbox as { queues: { queue: string; deadLetters: number; depth: number }[] }
    ).queues;
    const stats = await outbox.stats();
    expect(queues.map((q) => [q.queue, q.deadLetters, q.depth])).toEqual(
      stats.map((q) => [q.queue, q.deadLetters, q.depth]),
    );
    expect(overview.json.journal).toBeNull();
    const letters = await call('GET', 'dead-letters?queue=mail&type=Bad&limit=2');
    expect(letters.json).toHaveLength(2);
    expect(letters.json[0]).toMatchObject({ queue: 'mail', type: 'Bad', lastError: 'bad address' });
    expect((await call('GET', 'dead-letters?queue=archive')).json).toEqual([]);
    // As outbox.partitions() has them, but for the clock-driven fields.
    const timeless = ({ leaseExpiresInMs, retryInMs, oldestAgeMs, ...rest }: Partial<PartitionState>) => rest;
    const answer = (await call('GET', 'partitions?queue=mail')).json as unknown as {
      total: number;
      stuck: number;
      partitions: (PartitionState & { acknowledged: number })[];
    };
    const partitions = answer.partitions;
    expect(answer).toMatchObject({ total: 2, stuck: 0 });
    expect(partitions.map(timeless)).toEqual((await outbox.partitions('mail')).map(timeless));
    expect(partitions.reduce((n, p) => n + p.acknowledged, 0)).toBe(4);
    expect((await call('GET', 'partitions')).status).toBe(400);
  });

  it('redrives a dead letter, which is then delivered, discards and purges, and logs each action', async () => {
    const { outbox, delivered, healed } = await outboxWithDeadLetters(kind);
    const { logger, infos } = recordingLogger();
    const { call } = await serve({ outbox }, { logger });
    const letters = (await call('GET', 'dead-letters?queue=mail')).json as {
      deadLetterId: number;
      id: string;
    }[];
    healed.fixed = true;
    expect((await call('POST', 'dead-letters/redrive', { ids: [letters[0].deadLetterId] })).json).toEqual({
      redriven: 1,
    });
    await eventually(() => delivered.some((m) => m.id === letters[0].id), 10_000, 'the redriven message');
    expect((await call('POST', 'dead-letters/discard', { ids: [letters[1].deadLetterId] })).json).toEqual({
      discarded: 1,
    });
    expect((await call('POST', 'dead-letters/purge', {})).status).toBe(400); // a purge needs a filter
    expect((await call('POST', 'dead-letters/purge', { queue: 'mail' })).json).toEqual({ purged: 1 });
    expect((await outbox.stats()).find((q) => q.queue === 'mail')?.deadLetters).toBe(0);
    expect(infos.filter((i) => i.msg === 'dashboard action').map((i) => i.obj.action)).toEqual([
      'dead-letters/redrive',
      'dead-letters/discard',
      'dead-letters/purge',
    ]);
  });
});

/** What the graph route answers for an event. */
async function graphOf(call: Awaited<ReturnType<typeof serve>>['call'], id: string, limit?: number) {
  const r = await call('GET', `journal/events/${id}/graph${limit === undefined ? '' : `?limit=${limit}`}`);
  return r.json as unknown as {
    nodes: { id: string }[];
    edges: { from: string; to: string }[];
    truncated: boolean;
  };
}

const pg = await journalSchemas();

/** The journals the dashboard shows: a directory's and PostgreSQL's, each with its receipt key. */
const journals: { name: string; open(key: string): Promise<SourceJournal> }[] = [
  { name: 'a directory', open: async (key) => freshJournal({ receiptKeys: [key] }).journal.async },
  ...(pg.available
    ? [
        {
          name: 'PostgreSQL',
          open: async (key: string) => {
            const journal = await openPostgresJournal(PG_URL, {
              schema: pg.newSchema(`dash${Date.now() % 100_000}`),
              receiptKeys: [key],
            });
            closers.push(() => journal.close());
            return journal;
          },
        },
      ]
    : []),
];

describe.each(journals)('dashboard API on a journal in $name', ({ open }) => {
  it('shows counts, streams by prefix, a stream, an event with its signed receipt, and its causal graph', async () => {
    const key = generateReceiptKey();
    const journal = await open(key.privateKeyPem);
    const placed = await journal.append(coordinate('order:1', 'shop'), {
      type: 'OrderPlaced',
      data: { total: 5 },
    });
    const paid = await journal.append(
      coordinate('order:1', 'shop'),
      { type: 'OrderPaid', data: {} },
      { causedBy: placed.id },
    );
    const shipped = await journal.append(
      coordinate('ship:1', 'shop'),
      { type: 'Shipped', data: {} },
      { causedBy: paid.id },
    );
    await journal.append(
      coordinate('invoice:1', 'billing'),
      { type: 'Invoiced', data: {} },
      { causedBy: placed.id },
    );
    await journal.append(coordinate('other:1', 'shop'), { type: 'Unrelated', data: {} });
    const { call } = await serve({ journal });
    const overview = await call('GET', 'overview');
    expect((overview.json.journal as { stats: { events: number } }).stats.events).toBe(5);
    expect((await call('GET', 'journal/streams?prefix=order')).json).toEqual([
      { entity: 'order:1', scope: 'shop', events: 2 },
    ]);
    const stream = (await call('GET', `journal/stream?entity=${encodeURIComponent('order:1')}`)).json as {
      type: string;
    }[];
    expect(stream.map((e) => e.type)).toEqual(['OrderPlaced', 'OrderPaid']);
    const event = await call('GET', `journal/events/${paid.id}`);
    expect(event.json).toMatchObject({
      event: { id: paid.id, causationId: placed.id },
      receipt: { id: paid.id, hash: paid.hash },
      verification: { status: 'signed', keyId: key.keyId },
    });
    const graph = await graphOf(call, paid.id);
    expect(graph.nodes.map((n) => n.id).sort()).toEqual([placed.id, paid.id, shipped.id].sort());
    expect(graph.edges).toEqual(
      expect.arrayContaining([
        { from: placed.id, to: paid.id },
        { from: paid.id, to: shipped.id },
      ]),
    );
    const small = await graphOf(call, placed.id, 2);
    expect(small).toMatchObject({ truncated: true });
    expect(small.nodes).toHaveLength(2);
    expect((await call('GET', 'journal/events/not-an-id')).status).toBe(400);
    expect((await call('GET', 'journal/verify')).json).toMatchObject({ running: false, result: null });
    await call('POST', 'journal/verify');
    await eventually(
      async () => (await call('GET', 'journal/verify')).json.result !== null,
      10_000,
      'verify',
    );
    expect((await call('GET', 'journal/verify')).json).toMatchObject({
      running: false,
      checked: 5,
      result: { ok: true, events: 5 },
    });
    expect((await call('GET', 'journal/events/0190a7d8-0000-7000-8000-000000000000')).status).toBe(404);
    expect((await call('GET', 'journal/stream?entity=a:')).json.code).toBe('INVALID_COORDINATE');
    expect((await call('GET', 'journal/stream?entity=a:')).status).toBe(400);
    expect((await call('GET', 'journal/stream')).status).toBe(400);
  });

  it("draws an event's causes from any stream, not its own stream's unrelated events, and streams named '..'", async () => {
    const journal = await open(generateReceiptKey().privateKeyPem);
    const placed = await journal.append(coordinate('order:1', 'shop'), { type: 'OrderPlaced', data: {} });
    await journal.append(coordinate('order:1', 'shop'), { type: 'NoteAdded', data: {} });
    const shipped = await journal.append(
      coordinate('ship:1', 'shop'),
      { type: 'Shipped', data: {} },
      { causedBy: placed.id },
    );
    const closed = await journal.append(
      coordinate('order:1', 'shop'),
      { type: 'OrderClosed', data: {} },
      { causedBy: shipped.id },
    );
    const dots = await journal.append(coordinate('..', 'shop'), { type: 'Dotted', data: {} });
    const { call } = await serve({ journal });
    const graph = await graphOf(call, closed.id);
    expect(graph.nodes.map((n) => n.id).sort()).toEqual([placed.id, shipped.id, closed.id].sort());
    expect(graph.edges).toEqual(
      expect.arrayContaining([
        { from: placed.id, to: shipped.id },
        { from: shipped.id, to: closed.id },
      ]),
    );
    expect(graph.truncated).toBe(false);
    const capped = await graphOf(call, closed.id, 2);
    expect(capped).toMatchObject({ truncated: true, nodes: [{ id: closed.id }, { id: shipped.id }] });
    const stream = (await call('GET', 'journal/stream?entity=..')).json as { id: string }[];
    expect(stream.map((e) => e.id)).toEqual([dots.id]);
  });

  it('shares the graph limit between causes and effects, so an event deep in a chain shows what it caused', async () => {
    const journal = await open(generateReceiptKey().privateKeyPem);
    const chain: { id: string }[] = [];
    for (let i = 0; i < 40; i++)
      chain.push(
        await journal.append(
          coordinate(`step:${i}`, 'shop'),
          { type: 'Step', data: { i } },
          i === 0 ? {} : { causedBy: chain[i - 1].id },
        ),
      );
    const { call } = await serve({ journal });
    const graph = await graphOf(call, chain[20].id, 11);
    const ids = new Set(graph.nodes.map((n) => n.id));
    expect(graph.truncated).toBe(true);
    expect(ids.size).toBe(11);
    for (let i = 15; i <= 25; i++) expect(ids.has(chain[i].id), `step ${i}`).toBe(true); // 5 causes, 5 effects
    // Near the end of the chain, the causes take the room the few effects leave.
    const end = await graphOf(call, chain[38].id, 11);
    expect(end.nodes).toHaveLength(11);
    const whole = await graphOf(call, chain[0].id, 40);
    expect(whole).toMatchObject({ truncated: false });
  });
});
