import { describe, expect, it } from 'vitest';
import { coordinate } from '../../src/index.js';
import { freshJournal } from '../helpers.js';

function seeded() {
  const { journal, dir } = freshJournal();
  const plan: [string, string, string][] = [
    ['order:1', 'shop', 'Placed'],
    ['orders', 'shop', 'Listed'],
    ['order:2', 'shop', 'Placed'],
    ['order:1:line:1', 'shop', 'LineAdded'],
    ['order:1', 'shop', 'Paid'],
    ['user:9', 'crm', 'Registered'],
    ['order:2', 'shop', 'Paid'],
    ['order', 'shop', 'Configured'],
  ];
  const receipts = plan.map(([entity, scope, type], i) =>
    journal.append(coordinate(entity, scope), { type, data: { i } }),
  );
  return { journal, dir, receipts };
}

describe('reads', () => {
  it('get returns the event by id and undefined for an unknown id', () => {
    const { journal, receipts } = seeded();
    expect(journal.get(receipts[2].id)).toMatchObject({
      entity: 'order:2',
      type: 'Placed',
      data: { i: 2 },
      position: 3,
    });
    expect(journal.get('01890a5d-ac96-774b-bcce-b302099a8057')).toBeUndefined();
    expect(() => journal.get('not-a-uuid')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('readStream reads forwards, from a version, with a limit, and backwards', () => {
    const { journal } = freshJournal();
    const c = coordinate('acct:1', 'bank');
    for (let i = 0; i < 10; i++) journal.append(c, { type: 'T', data: i });
    const versions = (events: { streamVersion: number }[]) => events.map((e) => e.streamVersion);
    expect(versions(journal.readStream('acct:1'))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(versions(journal.readStream('acct:1', { from: 7 }))).toEqual([7, 8, 9]);
    expect(versions(journal.readStream('acct:1', { from: 2, limit: 3 }))).toEqual([2, 3, 4]);
    expect(versions(journal.readStream('acct:1', { backwards: true, limit: 3 }))).toEqual([9, 8, 7]);
    expect(versions(journal.readStream('acct:1', { backwards: true, from: 1 }))).toEqual([1, 0]);
    expect(journal.readStream('acct:1', { from: 50 })).toEqual([]);
    expect(journal.readStream('acct:2')).toEqual([]);
    expect(() => journal.readStream('acct:1', { from: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('readAll pages through global order until done', () => {
    const { journal } = seeded();
    const seen: number[] = [];
    let after = 0;
    for (let pages = 0; pages < 10; pages++) {
      const page = journal.readAll({ after, limit: 3 });
      seen.push(...page.events.map((e) => e.position));
      after = page.nextAfter;
      if (page.done) break;
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(journal.readAll({ after: 8 })).toMatchObject({ events: [], done: true, nextAfter: 8 });
  });

  it('selects entity prefixes at `:` boundaries only', () => {
    const { journal } = seeded();
    const entities = (prefix: string) =>
      journal.readAll({ region: { entityPrefix: prefix } }).events.map((e) => e.entity);
    expect(entities('order')).toEqual([
      'order:1',
      'order:2',
      'order:1:line:1',
      'order:1',
      'order:2',
      'order',
    ]);
    expect(entities('order:1')).toEqual(['order:1', 'order:1:line:1', 'order:1']);
    expect(entities('order:1:line')).toEqual(['order:1:line:1']);
    expect(entities('ord')).toEqual([]);
    expect(entities('orders')).toEqual(['orders']);
  });

  it('selects by scope, types and position range, combined', () => {
    const { journal } = seeded();
    const positions = (region: object) => journal.readAll({ region }).events.map((e) => e.position);
    expect(positions({ scope: 'crm' })).toEqual([6]);
    expect(positions({ types: ['Paid', 'Registered'] })).toEqual([5, 6, 7]);
    expect(positions({ types: ['Paid'], entityPrefix: 'order:2' })).toEqual([7]);
    expect(positions({ fromPosition: 3, toPosition: 5 })).toEqual([3, 4, 5]);
    expect(positions({ scope: 'shop', types: ['Placed'], fromPosition: 2 })).toEqual([3]);
    expect(positions({ types: ['Nope'] })).toEqual([]);
    expect(positions({ scope: 'nope' })).toEqual([]);
  });

  it('pages through a region with nextAfter', () => {
    const { journal } = seeded();
    const first = journal.readAll({ region: { entityPrefix: 'order' }, limit: 2 });
    expect(first.events.map((e) => e.position)).toEqual([1, 3]);
    expect(first.done).toBe(false);
    const second = journal.readAll({ region: { entityPrefix: 'order' }, limit: 2, after: first.nextAfter });
    expect(second.events.map((e) => e.position)).toEqual([4, 5]);
  });

  it('query iterates a whole region across pages', () => {
    const { journal } = seeded();
    expect([...journal.query({ scope: 'shop' }, 2)].map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 7, 8]);
  });

  it('rejects malformed read arguments', () => {
    const { journal } = seeded();
    expect(() => journal.readAll({ limit: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => journal.readAll({ after: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => journal.readAll({ region: { types: 'Paid' as never } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => journal.readAll({ region: { entityPrefix: 'a b' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_COORDINATE' }),
    );
    expect(() => journal.readAll({ region: { fromPosition: 0 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('causal graph', () => {
  it('causes walks the causation chain up to the root', () => {
    const { journal } = freshJournal();
    const c = coordinate('saga:1', 'ops');
    const root = journal.append(c, { type: 'Started', data: {} });
    const mid = journal.append(c, { type: 'Stepped', data: {} }, { causedBy: root });
    const leaf = journal.append(
      coordinate('saga:2', 'ops'),
      { type: 'Done', data: {} },
      { causedBy: mid.id },
    );
    expect(journal.causes(leaf.id).map((e) => e.id)).toEqual([mid.id, root.id]);
    expect(journal.causes(root.id)).toEqual([]);
  });

  it('effects returns the transitive tree of reactions in global order', () => {
    const { journal } = freshJournal();
    const c = coordinate('saga:1', 'ops');
    const root = journal.append(c, { type: 'Root', data: {} });
    const a = journal.append(c, { type: 'A', data: {} }, { causedBy: root });
    journal.append(c, { type: 'Unrelated', data: {} });
    const b = journal.append(c, { type: 'B', data: {} }, { causedBy: root });
    journal.append(c, { type: 'A1', data: {} }, { causedBy: a });
    journal.append(c, { type: 'B1', data: {} }, { causedBy: b });
    const shape = (t: ReturnType<typeof journal.effects>): unknown => [t.event.type, t.effects.map(shape)];
    expect(shape(journal.effects(root.id))).toEqual([
      'Root',
      [
        ['A', [['A1', []]]],
        ['B', [['B1', []]]],
      ],
    ]);
  });

  it('correlated finds every event of a correlation: inherited, explicit and external', () => {
    const { journal } = freshJournal();
    const c = coordinate('saga:1', 'ops');
    const root = journal.append(c, { type: 'Root', data: {} });
    const child = journal.append(c, { type: 'Child', data: {} }, { causedBy: root });
    journal.append(c, { type: 'Other', data: {} });
    const explicit = journal.append(c, { type: 'Explicit', data: {} }, { correlationId: root.id });
    expect(journal.correlated(root.id).map((e) => e.id)).toEqual([root.id, child.id, explicit.id]);
    const external = '01890a5d-ac96-774b-bcce-b302099a8057';
    const x1 = journal.append(c, { type: 'X', data: {} }, { correlationId: external, causationId: external });
    const x2 = journal.append(c, { type: 'X', data: {} }, { causedBy: x1 });
    expect(journal.correlated(external).map((e) => e.id)).toEqual([x1.id, x2.id]);
    expect(journal.get(x1.id)).toMatchObject({ causationId: external, correlationId: external });
  });

  it('graph queries name an unknown event with EventNotFound', () => {
    const { journal } = freshJournal();
    const unknown = '01890a5d-ac96-774b-bcce-b302099a8057';
    for (const query of [
      () => journal.causes(unknown),
      () => journal.effects(unknown),
      () => journal.walkAncestors(unknown),
    ]) {
      expect(query).toThrow(expect.objectContaining({ code: 'EVENT_NOT_FOUND', details: { id: unknown } }));
    }
    expect(journal.correlated(unknown)).toEqual([]);
  });

  it('walkAncestors follows the stream hash chain backwards', () => {
    const { journal } = freshJournal();
    const c = coordinate('acct:1', 'bank');
    const ids = Array.from({ length: 5 }, (_, i) => journal.append(c, { type: 'T', data: i }).id);
    journal.append(coordinate('acct:2', 'bank'), { type: 'T', data: 0 });
    expect(journal.walkAncestors(ids[4]).map((e) => e.id)).toEqual([ids[3], ids[2], ids[1], ids[0]]);
    expect(journal.walkAncestors(ids[4], { limit: 2 }).map((e) => e.id)).toEqual([ids[3], ids[2]]);
    expect(journal.walkAncestors(ids[0])).toEqual([]);
  });

  it('survives reopening: links are rebuilt from the segments and loaded from the snapshot', async () => {
    const { journal, dir } = freshJournal();
    const c = coordinate('saga:1', 'ops');
    const root = journal.append(c, { type: 'Root', data: {} });
    const child = journal.append(c, { type: 'Child', data: {} }, { causedBy: root });
    journal.close();
    const { open } = await import('../../src/index.js');
    const fs = await import('node:fs');
    for (const removeSnapshot of [false, true]) {
      if (removeSnapshot) fs.rmSync(`${dir}/index.snap`);
      const j = open(dir);
      expect(j.openReport().path).toBe(removeSnapshot ? 'rebuild' : 'snapshot');
      expect(j.causes(child.id).map((e) => e.id)).toEqual([root.id]);
      expect(j.effects(root.id).effects.map((t) => t.event.id)).toEqual([child.id]);
      expect(j.correlated(root.id)).toHaveLength(2);
      j.close();
    }
  });
});

describe('verify through journal.async', () => {
  it('gives the event loop turns while it reads a large journal, and finds the same result', async () => {
    const { journal } = freshJournal();
    const padding = 'x'.repeat(200);
    for (let b = 0; b < 20; b++)
      journal.appendBatch(
        Array.from({ length: 1000 }, (_, i) => ({
          coordinate: coordinate(`acct:${i % 50}`, 'bank'),
          event: { type: 'Deposited', data: { padding, n: b * 1000 + i } },
        })),
      );
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    try {
      const result = await journal.async.verify();
      expect(result).toEqual(journal.verify());
      expect(result).toMatchObject({ ok: true, events: 20_000 });
    } finally {
      clearInterval(timer);
    }
    expect(turns).toBeGreaterThan(0); // timers ran while it verified (>4 MiB read a megabyte at a time)
  });
});
