/**
 * Behaviour every journal backend shows through the {@link AsyncJournal} contract. Each backend's
 * test file calls {@link defineJournalConformance} (and {@link defineConsumerConformance} once it
 * has consumers) with a way to open a fresh journal.
 */
import { describe, expect, it } from 'vitest';
import {
  type AsyncJournal,
  CursorWorkerAction,
  coordinate,
  type EffectTree,
  generateReceiptKey,
  type Logger,
  RestartPolicy,
  SinkPublishFailed,
  type SinkRecord,
  type StoredEvent,
} from '../../../src/index.js';
import { recordingLogger } from '../../helpers.js';

/** The contract without its consumers (cursor workers, reactors, projections). */
export type JournalData = Omit<AsyncJournal, 'cursorWorker' | 'reactor' | 'project'>;

export interface JournalBackend<J extends JournalData = JournalData> {
  readonly name: string;
  /** A fresh, empty journal, closed by the test. */
  open(options?: { receiptKeys?: string[] }): Promise<J>;
}

const order = (n: number) => coordinate(`order:${n}`, 'shop');

/** Runs `fn` on a fresh journal of `backend`, closing it after. */
async function withJournalOf<J extends JournalData>(
  backend: JournalBackend<J>,
  fn: (j: J) => Promise<void>,
  options?: { receiptKeys?: string[] },
): Promise<void> {
  const j = await backend.open(options);
  try {
    await fn(j);
  } finally {
    await j.close();
  }
}

/** Appending, reading, the causal graph, verification and receipts: what every backend does. */
export function defineJournalConformance(backend: JournalBackend): void {
  describe(`journal contract on ${backend.name}`, () => {
    const withJournal = (fn: (j: JournalData) => Promise<void>, options?: { receiptKeys?: string[] }) =>
      withJournalOf(backend, fn, options);

    it('gives dense positions from 1 and contiguous stream versions from 0, and reads them back in order', () =>
      withJournal(async (j) => {
        const a = await j.append(order(1), { type: 'Placed', data: { total: 1 } });
        const b = await j.append(order(2), { type: 'Placed', data: { total: 2 } });
        const c = await j.append(order(1), { type: 'Paid', data: { amount: 1 } });
        expect([a.position, b.position, c.position]).toEqual([1, 2, 3]);
        expect([a.streamVersion, b.streamVersion, c.streamVersion]).toEqual([0, 0, 1]);
        expect(c.prevHash).toBe(a.hash);
        expect((await j.readStream('order:1')).map((e) => e.type)).toEqual(['Placed', 'Paid']);
        const page = await j.readAll({ after: 1, limit: 10 });
        expect(page.events.map((e) => e.position)).toEqual([2, 3]);
        expect(await j.streamVersion('order:1')).toBe(1);
        expect(await j.streamVersion('order:9')).toBeUndefined();
        expect((await j.get(b.id))?.data).toEqual({ total: 2 });
        expect(await j.get('00000000-0000-7000-8000-000000000000')).toBeUndefined();
      }));

    it('refuses an append against the wrong expected version with WrongExpectedVersion, writing nothing', () =>
      withJournal(async (j) => {
        await j.append(order(1), { type: 'Placed', data: {} }, { expectedVersion: 'no-stream' });
        await expect(
          j.append(order(1), { type: 'Placed', data: {} }, { expectedVersion: 'no-stream' }),
        ).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION' });
        await expect(
          j.append(order(1), { type: 'Paid', data: {} }, { expectedVersion: 5 }),
        ).rejects.toMatchObject({
          code: 'WRONG_EXPECTED_VERSION',
        });
        await expect(
          j.append(order(2), { type: 'Paid', data: {} }, { expectedVersion: 'stream-exists' }),
        ).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION' });
        expect((await j.stats()).events).toBe(1);
      }));

    it('returns the first receipt for a retry with the same idempotency key, and refuses the key for other data', () =>
      withJournal(async (j) => {
        const first = await j.append(order(1), { type: 'Placed', data: { n: 1 } }, { idempotencyKey: 'k' });
        const again = await j.append(order(1), { type: 'Placed', data: { n: 1 } }, { idempotencyKey: 'k' });
        expect(again).toMatchObject({ id: first.id, position: first.position, deduplicated: true });
        await expect(
          j.append(order(1), { type: 'Placed', data: { n: 2 } }, { idempotencyKey: 'k' }),
        ).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
        expect((await j.stats()).events).toBe(1);
      }));

    it('appends a batch across streams all or nothing, its items contiguous and linked by causedByItem', () =>
      withJournal(async (j) => {
        await j.append(order(1), { type: 'Placed', data: {} });
        await expect(
          j.appendBatch([
            { coordinate: order(2), event: { type: 'Placed', data: {} } },
            { coordinate: order(1), event: { type: 'Paid', data: {} }, options: { expectedVersion: 7 } },
          ]),
        ).rejects.toMatchObject({ code: 'WRONG_EXPECTED_VERSION' });
        expect((await j.stats()).events).toBe(1);
        const [placed, shipped] = await j.appendBatch([
          { coordinate: order(2), event: { type: 'Placed', data: {} } },
          {
            coordinate: coordinate('ship:2', 'shop'),
            event: { type: 'Requested', data: {} },
            options: { causedByItem: 0 },
          },
        ]);
        expect([placed.position, shipped.position]).toEqual([2, 3]);
        expect((await j.causes(shipped.id)).map((e) => e.id)).toEqual([placed.id]);
        expect((await j.effects(placed.id)).effects.map((c) => c.event.id)).toEqual([shipped.id]);
        const shippedEvent = (await j.get(shipped.id))!;
        expect((await j.correlated(shippedEvent.correlationId)).map((e) => e.id)).toEqual([
          placed.id,
          shipped.id,
        ]);
        const paid = await j.append(order(2), { type: 'Paid', data: {} });
        // The earlier events of the stream, newest first, along the hash chain.
        expect((await j.walkAncestors(paid.id)).map((e) => e.id)).toEqual([placed.id]);
      }));

    it('refuses malformed input with a typed error and writes nothing', () =>
      withJournal(async (j) => {
        const bad = [
          () => j.append(order(1), { type: '', data: {} }),
          () => j.append(order(1), { type: 'T', data: () => 1 } as never),
          () => j.append({ entity: '', scope: 'shop' } as never, { type: 'T', data: {} }),
          () => j.append(order(1), { type: 'T', data: {} }, { expectedVersion: -1 }),
          () => j.appendBatch([]),
        ];
        for (const call of bad) await expect(call()).rejects.toHaveProperty('code');
        expect((await j.stats()).events).toBe(0);
      }));

    it('builds the effects of a deep chain and of a wide fan-out, and cuts them breadth first at a limit', () =>
      withJournal(async (j) => {
        const [root] = await j.appendBatch([{ coordinate: order(1), event: { type: 'Root', data: {} } }]);
        // A chain 5,000 deep (each caused by the one before), in batches.
        let cause = root.id;
        for (let b = 0; b < 5; b++) {
          const receipts = await j.appendBatch(
            Array.from({ length: 1000 }, (_, i) => ({
              coordinate: coordinate(`chain:${b * 1000 + i}`, 'shop'),
              event: { type: 'Next', data: {} },
              options: i === 0 ? { causedBy: cause } : { causedByItem: i - 1 },
            })),
          );
          cause = receipts[receipts.length - 1].id;
        }
        let depth = 0;
        for (let t = await j.effects(root.id); t.effects.length > 0; t = t.effects[0]) depth++;
        expect(depth).toBe(5000);
        // A hub with 3 direct effects, each with 2 of its own: breadth first, parents before children.
        const [hub] = await j.appendBatch([{ coordinate: order(2), event: { type: 'Hub', data: {} } }]);
        const kids = await j.appendBatch(
          [0, 1, 2].map((i) => ({
            coordinate: coordinate(`kid:${i}`, 'shop'),
            event: { type: 'Kid', data: {} },
            options: { causedBy: hub.id },
          })),
        );
        for (const kid of kids)
          await j.appendBatch(
            [0, 1].map((i) => ({
              coordinate: coordinate(`grandkid:${kid.position}:${i}`, 'shop'),
              event: { type: 'Grandkid', data: {} },
              options: { causedBy: kid.id },
            })),
          );
        const count = (t: EffectTree): number => 1 + t.effects.reduce((n, e) => n + count(e), 0);
        expect(count(await j.effects(hub.id))).toBe(10);
        expect(count(await j.effects(hub.id, { limit: Number.POSITIVE_INFINITY }))).toBe(10);
        const cut = await j.effects(hub.id, { limit: 5 });
        expect(count(cut)).toBe(5);
        expect(cut.effects.map((e) => e.event.id)).toEqual(kids.map((k) => k.id));
        expect(cut.effects.map((e) => e.effects.length)).toEqual([1, 0, 0]);
        expect(count(await j.effects(root.id, { limit: 3 }))).toBe(3);
        await expect(j.effects(hub.id, { limit: 0 })).rejects.toHaveProperty('code', 'INVALID_ARGUMENT');
      }));

    it('verifies every hash chain, and signs receipts that verify', async () => {
      const key = generateReceiptKey();
      await withJournal(
        async (j) => {
          const r = await j.append(order(1), { type: 'Placed', data: { total: 3 } });
          await j.appendBatch([
            { coordinate: order(1), event: { type: 'Paid', data: {} } },
            { coordinate: order(2), event: { type: 'Placed', data: {} } },
          ]);
          const progress: [number, number][] = [];
          expect(
            await j.verify({ onProgress: (checked, total) => progress.push([checked, total]) }),
          ).toMatchObject({ ok: true, events: 3, streams: 2, firstBreak: null });
          expect(progress.at(-1)).toEqual([3, 3]); // progress is reported, at least once at the end
          expect((await j.verifyReceipt(r)).status).toBe('signed');
          expect((await j.receiptFor(r.id)).hash).toBe(r.hash);
        },
        { receiptKeys: [key.privateKeyPem] },
      );
    });

    it('pages through the global order and through a region without gaps or repeats, whatever the page size', () =>
      withJournal(async (j) => {
        for (let b = 0; b < 50; b++)
          await j.appendBatch(
            Array.from({ length: 100 }, (_, i) => ({
              coordinate: order((b * 100 + i) % 40),
              event: { type: (b * 100 + i) % 7 === 0 ? 'Paid' : 'Placed', data: { n: b * 100 + i } },
            })),
          );
        const pages = async (region: { types?: string[] } | undefined, limit: number) => {
          const positions: number[] = [];
          for (let after = 0, done = false; !done; ) {
            const page = await j.readAll({ after, limit, region });
            expect(page.events.length).toBeLessThanOrEqual(limit);
            positions.push(...page.events.map((e) => e.position));
            expect(page.nextAfter).toBeGreaterThanOrEqual(after);
            after = page.nextAfter;
            done = page.done;
          }
          return positions;
        };
        const all = Array.from({ length: 5000 }, (_, i) => i + 1);
        const paid = all.filter((p) => (p - 1) % 7 === 0);
        expect(await pages(undefined, 333)).toEqual(all);
        expect(await pages({ types: ['Paid'] }, 1)).toEqual(paid);
        expect(await pages({ types: ['Paid'] }, 100)).toEqual(paid);
        expect(await pages({ types: ['Paid'] }, 5000)).toEqual(paid);
      }));

    it('reports watermarks and waits for a position to become visible', () =>
      withJournal(async (j) => {
        const wait = j.waitFor('visible', 2, { timeoutMs: 5000 });
        await j.append(order(1), { type: 'Placed', data: {} });
        await j.append(order(1), { type: 'Paid', data: {} });
        await wait;
        expect((await j.watermarks()).visible).toBe(2);
        expect((await j.streams()).map((s) => s.entity)).toEqual(['order:1']);
      }));
  });
}

/** A backend whose journals can be opened again, as a process restarting would. */
export interface ConsumerBackend {
  readonly name: string;
  /** A fresh, empty journal, and the way to open it again once closed. */
  open(options?: { logger?: Logger }): Promise<{ journal: AsyncJournal; reopen(): Promise<AsyncJournal> }>;
}

/** Polls `condition` every 10 ms, failing after 10 s. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Consumers over the contract: projections, cursor workers and reactors. */
export function defineConsumerConformance(backend: ConsumerBackend): void {
  describe(`journal consumers on ${backend.name}`, () => {
    const withJournal = async (
      fn: (j: AsyncJournal, reopen: () => Promise<AsyncJournal>) => Promise<void>,
      logger?: Logger,
    ) => {
      const { journal, reopen } = await backend.open({ logger });
      await fn(journal, reopen);
    };

    it('logs a cursor worker handler that throws and restarts it from the checkpoint; past its budget the worker stops, logged', () => {
      const { logger, warnings, errors } = recordingLogger();
      return withJournal(async (j) => {
        await j.append(order(1), { type: 'Placed', data: {} });
        let calls = 0;
        const worker = j.cursorWorker(
          {},
          { name: 'flaky', restart: RestartPolicy.bounded(1, 60_000) },
          () => {
            calls++;
            throw new Error('boom');
          },
        );
        await expect(worker.join()).rejects.toMatchObject({ code: 'RESTART_BUDGET_EXHAUSTED' });
        expect(calls).toBe(2);
        expect(warnings).toContainEqual({
          obj: expect.objectContaining({
            worker: 'flaky',
            restarts: 1,
            committed: 0,
            err: expect.any(Error),
          }),
          msg: 'cursor worker handler threw; it restarts from its checkpoint',
        });
        expect(errors).toContainEqual({
          obj: expect.objectContaining({ worker: 'flaky' }),
          msg: 'cursor worker stopped on an error',
        });
        await j.close();
      }, logger);
    });

    it('relays its region to a sink in order, committing only acknowledged batches, and retries a failing sink with a log line', () => {
      const { logger, warnings } = recordingLogger();
      return withJournal(async (j, reopen) => {
        for (let n = 1; n <= 6; n++)
          await j.append(order(n), { type: n % 2 ? 'Placed' : 'Paid', data: { n } });
        const published: SinkRecord[] = [];
        let failures = 1;
        const sink = {
          name: 'mem:conformance',
          async publish(records: readonly SinkRecord[]) {
            if (failures-- > 0) throw new SinkPublishFailed('mem:conformance', 0, false, 'broker away');
            published.push(...records);
          },
          close: async () => {},
        };
        const relay = j.sinkTo(sink, {
          region: { types: ['Placed'] },
          checkpointId: 'mem',
          batchSize: 2,
          retryBackoff: { initialMs: 1 },
        });
        await eventually(() => published.length === 3, 'published records');
        // The relay also passes the event outside its region after the last one it published.
        const deadline = Date.now() + 10_000;
        while ((await relay.stats()).lag > 0 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 10));
        await relay.stopAndJoin();
        expect(published.map((r) => r.position)).toEqual([1, 3, 5]);
        expect(published[0]).toMatchObject({
          source: 'journal',
          type: 'Placed',
          aggregateType: 'shop',
          aggregateId: 'order:1',
        });
        expect(JSON.parse(new TextDecoder().decode(published[1].payload))).toEqual({ n: 3 });
        expect(warnings.map((w) => w.msg)).toContain('sink publish failed; it is tried again');
        expect(await relay.stats()).toMatchObject({ published: 3, retries: 1, lag: 0, failing: false });
        await j.append(order(7), { type: 'Placed', data: { n: 7 } });
        await j.close();

        const again = await reopen();
        const resumed = again.sinkTo(sink, { region: { types: ['Placed'] }, checkpointId: 'mem' });
        // Before it has published anything, it reports the position saved in its checkpoint.
        expect((await resumed.stats()).position).toBeGreaterThanOrEqual(5);
        await eventually(() => published.length === 4, 'the event after the checkpoint');
        await resumed.stopAndJoin();
        expect(published[3].position).toBe(7);
        await again.close();
      }, logger);
    });

    it('folds a projection over the events of its region, and again after more arrive', () =>
      withJournal(async (j) => {
        for (let n = 1; n <= 3; n++) await j.append(order(n), { type: 'Placed', data: { total: n * 10 } });
        await j.append(order(1), { type: 'Paid', data: {} });
        const revenue = {
          name: 'revenue',
          version: 1,
          region: { types: ['Placed'] },
          initial: () => 0,
          apply: (sum: number, e: { data: unknown }) => sum + (e.data as { total: number }).total,
        };
        expect((await j.project(revenue)).state).toBe(60);
        await j.append(order(4), { type: 'Placed', data: { total: 40 } });
        expect(await j.project(revenue)).toEqual({ state: 100, position: 5 });
        expect((await j.project(revenue, { entity: 'order:4' })).state).toBe(40);
        await j.close();
      }));

    it('a cursor worker gets its region in order, and one started later with its checkpoint id goes on after what was committed', () =>
      withJournal(async (j, reopen) => {
        for (let n = 1; n <= 5; n++) {
          await j.append(order(n), { type: 'Placed', data: { n } });
          await j.append(order(n), { type: 'Paid', data: {} });
        }
        const seen: number[] = [];
        const worker = j.cursorWorker(
          { types: ['Placed'] },
          { checkpointId: 'billing', batchSize: 2 },
          (batch) => {
            for (const e of batch) seen.push((e.data as { n: number }).n);
            return CursorWorkerAction.continue;
          },
        );
        await eventually(() => seen.length === 5, 'five events');
        await worker.stopAndJoin();
        expect(seen).toEqual([1, 2, 3, 4, 5]);
        expect(worker.committed).toBeGreaterThanOrEqual(9); // the last delivered, or past what followed it
        await j.append(order(6), { type: 'Placed', data: { n: 6 } });
        await j.close();

        const again = await reopen();
        const later: number[] = [];
        const resumed = again.cursorWorker({ types: ['Placed'] }, { checkpointId: 'billing' }, (batch) => {
          for (const e of batch) later.push((e.data as { n: number }).n);
          return CursorWorkerAction.continue;
        });
        await eventually(() => later.length === 1, 'the event after the checkpoint');
        await resumed.stopAndJoin();
        expect(later).toEqual([6]);
        await again.close();
      }));

    it('a reactor appends each source’s reactions once, caused by it, also when started again', () =>
      withJournal(async (j, reopen) => {
        const shipping = {
          name: 'shipping',
          handlers: {
            Placed: (e: { entity: string }) => ({
              coordinate: coordinate(`ship:${e.entity}`, 'shop'),
              event: { type: 'ShipmentRequested', data: {} },
            }),
          },
        };
        const placed = [];
        for (let n = 1; n <= 3; n++) placed.push(await j.append(order(n), { type: 'Placed', data: {} }));
        const shipments = async (journal: AsyncJournal) =>
          (await journal.readAll({ region: { types: ['ShipmentRequested'] } })).events;
        let reactor = j.reactor(shipping);
        let found: StoredEvent[] = [];
        const until = async (journal: AsyncJournal, n: number) => {
          const deadline = Date.now() + 10_000;
          for (;;) {
            found = await shipments(journal);
            if (found.length >= n || Date.now() > deadline) return;
            await new Promise((r) => setTimeout(r, 10));
          }
        };
        await until(j, 3);
        await reactor.stopAndJoin();
        expect(found.map((e) => e.causationId)).toEqual(placed.map((p) => p.id));
        expect(found.map((e) => e.entity)).toEqual(['ship:order:1', 'ship:order:2', 'ship:order:3']);
        await j.append(order(4), { type: 'Placed', data: {} });
        await j.close();

        const again = await reopen();
        reactor = again.reactor(shipping);
        await until(again, 4);
        await new Promise((r) => setTimeout(r, 100));
        await reactor.stopAndJoin();
        expect(await shipments(again)).toHaveLength(4);
        await again.close();
      }));
  });
}
