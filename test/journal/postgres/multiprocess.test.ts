import { describe, expect, it } from 'vitest';
import { PostgresJournal } from '../../../src/journal/postgres/journal.js';
import { type Child, fixture, sleep, startChild } from '../../children.js';
import { PG_URL } from '../../outbox/databases.js';
import { expectJournalIntact } from './intact.js';
import { journalSchemas } from './schemas.js';

const { available, admin, newSchema } = await journalSchemas();
const schema = newSchema('mp');

describe.skipIf(!available)(
  'a journal on PostgreSQL shared by processes, one of them killed again and again',
  () => {
    it('keeps positions dense, versions contiguous, chains intact and every acknowledged event exactly once', {
      timeout: 120_000,
    }, async () => {
      await (await PostgresJournal.open(PG_URL, { schema })).close(); // the schema, before four processes race for it
      const start = (worker: string): Child =>
        startChild(fixture('pg-journal-appender.ts'), [PG_URL, schema, worker]);
      const children = ['a', 'b', 'c', 'd'].map(start);
      await Promise.all(children.map((c) => c.ready));
      const retired: Child[] = [];
      for (let kill = 0; kill < 6; kill++) {
        await sleep(600);
        const victim = children[3];
        victim.proc.kill('SIGKILL');
        await victim.exited;
        retired.push(victim);
        children[3] = start(`d${kill}`); // a fresh worker: a killed one's last key may be half done
        await children[3].ready;
      }
      await sleep(600);
      for (const c of children) c.proc.kill('SIGKILL');
      await Promise.all(children.map((c) => c.exited));

      const acked = new Map<string, string>();
      for (const c of [...children, ...retired])
        for (const line of c.lines.filter((l) => l.startsWith('ACK '))) {
          const [, key, id] = line.split(' ');
          acked.set(key, id);
        }
      expect(acked.size).toBeGreaterThan(50);

      // Whatever the killed processes committed and left unsequenced is sequenced by the next journal.
      const journal = await PostgresJournal.open(PG_URL, { schema, pollIntervalMs: 10 });
      try {
        const events = await expectJournalIntact(journal, admin, schema, acked.values());
        const keys = events.map(
          (e) => `${(e.data as { worker: string }).worker}-${(e.data as { n: number }).n}`,
        );
        expect(new Set(keys).size).toBe(keys.length); // no key appended twice
      } finally {
        await journal.close();
      }
    });
  },
);
