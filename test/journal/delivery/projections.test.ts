import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coordinate, open, type Projection, type StoredEvent } from '../../../src/index.js';
import { freshJournal, recordingLogger, tempDir, track } from '../../helpers.js';

const order = (n: number) => coordinate(`order:${n}`, 'shop');

/** Counts applied events so tests can tell incremental reads from full ones. */
function totals(version = 1, cache: 'memory' | 'disk' = 'memory') {
  const applied: number[] = [];
  const projection: Projection<{ count: number; amount: number }> = {
    name: 'totals',
    version,
    region: { types: ['Placed'] },
    cache,
    initial: () => ({ count: 0, amount: 0 }),
    apply: (s, e: StoredEvent) => {
      applied.push(e.position);
      return { count: s.count + 1, amount: s.amount + (e.data as { amount: number }).amount * version };
    },
  };
  return { projection, applied };
}

describe('projections', () => {
  it('fold a region and apply only new events on the next read', () => {
    const { journal } = freshJournal();
    for (let i = 0; i < 4; i++) journal.append(order(i), { type: 'Placed', data: { amount: 10 } });
    journal.append(order(0), { type: 'Cancelled', data: {} });
    const { projection, applied } = totals();
    expect(journal.project(projection)).toEqual({ state: { count: 4, amount: 40 }, position: 5 });
    journal.append(order(5), { type: 'Placed', data: { amount: 5 } });
    expect(journal.project(projection).state).toEqual({ count: 5, amount: 45 });
    expect(applied).toEqual([1, 2, 3, 4, 6]);
  });

  it('fold one stream when read with an entity, cached per entity', () => {
    const { journal } = freshJournal();
    journal.append(order(1), { type: 'Placed', data: { amount: 1 } });
    journal.append(order(2), { type: 'Placed', data: { amount: 2 } });
    journal.append(order(1), { type: 'Placed', data: { amount: 3 } });
    const { projection } = totals();
    expect(journal.project(projection, { entity: 'order:1' }).state).toEqual({ count: 2, amount: 4 });
    expect(journal.project(projection, { entity: 'order:2' }).state).toEqual({ count: 1, amount: 2 });
    journal.append(order(1), { type: 'Placed', data: { amount: 10 } });
    expect(journal.project(projection, { entity: 'order:1' }).state).toEqual({ count: 3, amount: 14 });
  });

  it('serve maybe-stale reads from the cache without reading the journal', () => {
    const { journal } = freshJournal();
    journal.append(order(1), { type: 'Placed', data: { amount: 1 } });
    const { projection, applied } = totals();
    journal.project(projection);
    journal.append(order(1), { type: 'Placed', data: { amount: 1 } });
    expect(journal.project(projection, { freshness: 'maybe-stale' })).toEqual({
      state: { count: 1, amount: 1 },
      position: 1,
    });
    expect(applied).toEqual([1]);
    expect(journal.project(projection, { freshness: 'consistent' }).state.count).toBe(2);
  });

  it('cache states on disk, and rebuild when the version changes', () => {
    const { journal, dir } = freshJournal();
    for (let i = 0; i < 3; i++) journal.append(order(i), { type: 'Placed', data: { amount: 1 } });
    journal.project(totals(1, 'disk').projection);
    journal.close();
    const reopened = track(open(dir));
    reopened.append(order(9), { type: 'Placed', data: { amount: 1 } });
    const again = totals(1, 'disk');
    expect(reopened.project(again.projection).state).toEqual({ count: 4, amount: 4 });
    expect(again.applied).toEqual([4]); // only the new event
    const v2 = totals(2, 'disk');
    expect(reopened.project(v2.projection).state).toEqual({ count: 4, amount: 8 });
    expect(v2.applied).toEqual([1, 2, 3, 4]);
    reopened.close();
    expect(fs.readdirSync(path.join(dir, 'projections', 'totals'))).toEqual(['v2']);
  });

  it('ignore a damaged disk cache and rebuild', () => {
    const { journal, dir } = freshJournal();
    journal.append(order(1), { type: 'Placed', data: { amount: 1 } });
    journal.project(totals(1, 'disk').projection);
    journal.close();
    const folder = path.join(dir, 'projections', 'totals', 'v1');
    for (const f of fs.readdirSync(folder)) fs.writeFileSync(path.join(folder, f), 'garbage');
    const reopened = track(open(dir));
    expect(reopened.project(totals(1, 'disk').projection).state).toEqual({ count: 1, amount: 1 });
  });

  it('fold on and close cleanly when the disk cache cannot be written, and log it', () => {
    const dir = tempDir();
    const { logger, warnings } = recordingLogger();
    const journal = open(dir, { logger });
    journal.append(order(1), { type: 'Placed', data: { amount: 1 } });
    fs.writeFileSync(path.join(dir, 'projections'), 'not a directory');
    expect(journal.project(totals(1, 'disk').projection).state).toEqual({ count: 1, amount: 1 });
    journal.append(order(2), { type: 'Placed', data: { amount: 1 } });
    expect(journal.project(totals(1, 'disk').projection).state).toEqual({ count: 2, amount: 2 });
    journal.close();
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings[0]).toMatchObject({
      obj: { projection: 'totals', err: expect.objectContaining({ code: 'IO_ERROR' }) },
      msg: expect.stringMatching(/projection cache not saved/),
    });
    // The close went all the way: the index snapshot was written and the journal reopens from it.
    const reopened = track(open(dir));
    expect(reopened.openReport()).toMatchObject({ path: 'snapshot', events: 2 });
  });

  it('feed the applied watermark while registered, and leave it when unregistered', async () => {
    const { journal } = freshJournal();
    for (let i = 0; i < 3; i++) journal.append(order(i), { type: 'Placed', data: { amount: 1 } });
    expect(journal.watermarks().applied).toBe(3); // nothing registered: applied follows visible
    const { projection } = totals();
    journal.registerProjection(projection);
    expect(journal.watermarks().applied).toBe(0);
    await journal.waitFor('applied', 3, { timeoutMs: 2000 });
    journal.append(order(4), { type: 'Placed', data: { amount: 1 } });
    expect(journal.watermarks().applied).toBe(3);
    await journal.waitFor('applied', 4, { timeoutMs: 2000 });
    expect(journal.project(projection, { freshness: 'maybe-stale' }).state.count).toBe(4);
    const stuck: Projection<number> = {
      name: 'stuck',
      version: 1,
      initial: () => 0,
      apply: () => {
        throw new Error('bad fold');
      },
    };
    journal.registerProjection(stuck);
    await new Promise((r) => setTimeout(r, 20));
    expect(journal.watermarks().applied).toBe(0);
    expect(() => journal.project(stuck)).toThrow('bad fold');
    expect(journal.unregisterProjection('stuck')).toBe(true);
    expect(journal.watermarks().applied).toBe(4);
    expect(journal.unregisterProjection('totals')).toBe(true);
    journal.append(order(5), { type: 'Placed', data: { amount: 1 } });
    expect(journal.watermarks().applied).toBe(5);
  });

  it('reject malformed projections', () => {
    const { journal } = freshJournal();
    const base = totals().projection;
    expect(() => journal.project({ ...base, version: 0 })).toThrow(/version/);
    expect(() => journal.project({ ...base, name: 'a/b' })).toThrow(/projection name/);
    expect(() => journal.project(base, { freshness: 'soon' as never })).toThrow(/freshness/);
  });
});
