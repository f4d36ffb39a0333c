/**
 * What every PostgreSQL journal fault test checks afterwards: nothing left pending, `verify()`
 * passes, positions dense from 1, no event twice, and every acknowledged event present.
 */
import type pg from 'pg';
import { expect } from 'vitest';
import type { PostgresJournal } from '../../../src/journal/postgres/journal.js';
import type { StoredEvent } from '../../../src/journal/types.js';
import { sleep } from '../../children.js';

/** Waits (up to 15 s) for the journal to sequence what is pending, then checks it whole. */
export async function expectJournalIntact(
  journal: PostgresJournal,
  admin: pg.Pool,
  schema: string,
  acknowledged: Iterable<string>,
): Promise<StoredEvent[]> {
  const pending = async () =>
    Number((await admin.query(`SELECT count(*) AS n FROM ${schema}.pending`)).rows[0].n);
  const deadline = Date.now() + 15_000;
  while ((await pending()) > 0 && Date.now() < deadline) await sleep(20);
  expect(await pending()).toBe(0);
  expect(await journal.verify()).toMatchObject({ ok: true, firstBreak: null });
  const events: StoredEvent[] = [];
  for (let after = 0; ; ) {
    const page = await journal.readAll({ after, limit: 1000 });
    events.push(...page.events);
    if (page.done) break;
    after = page.nextAfter;
  }
  expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1));
  const ids = new Set(events.map((e) => e.id));
  expect(ids.size).toBe(events.length);
  for (const id of acknowledged) expect(ids.has(id), `acknowledged ${id}`).toBe(true);
  return events;
}
