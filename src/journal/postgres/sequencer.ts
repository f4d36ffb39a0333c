/**
 * Gives appended events their global positions and hash chain, after their transactions commit.
 * One process at a time leads (a session advisory lock); the leader runs rounds, each one statement
 * that logs what it hashed last round and takes what is pending now (see sequence-function.ts).
 * Positions are dense, become visible in order, and a reader of `position > n` never skips an
 * event that committed late: an event has no position until a round gives it one.
 */
import type pg from 'pg';
import { CorruptData } from '../../errors.js';
import { pgExecutor, type Row, translatingErrors, withPgClient } from '../../sql/index.js';
import { inSpan } from '../../tracing.js';
import type { EventRecord } from '../codec.js';
import { computeEventHash } from '../event-hash.js';
import { ZERO_HASH } from '../hash.js';
import { recordOfRow } from './records.js';
import type { JournalStatements } from './statements.js';

/** What leading did: whether this process led, and how many events it sequenced. */
export interface Lead {
  readonly led: boolean;
  readonly sequenced: number;
}

/** Batches a round takes at most: a round is one statement, kept short. */
export const ROUND_BATCHES = 500;

/** A round's events, hashed and ready to log. */
interface Hashed {
  readonly batches: Set<string>;
  readonly records: Map<string, EventRecord>;
}

/** What the process leading is told, and asked. */
export interface Leader {
  /** The events of a round, once they are logged (committed). */
  committed(records: ReadonlyMap<string, EventRecord>): void;
  /** Asked when nothing is pending: whether to look again (more is coming) or give up the lead. */
  more(): Promise<boolean>;
}

const ALONE: Leader = { committed: () => {}, more: async () => false };

/**
 * Leads sequencing until nothing is pending (and `leader.more()` says no more is coming), when no
 * other process leads. Returns at once (`led: false`) when another process leads.
 */
export function leadSequencing(
  pool: pg.Pool,
  st: JournalStatements,
  leader: Leader = ALONE,
  maxBatches = ROUND_BATCHES,
): Promise<Lead> {
  return translatingErrors('postgres', () =>
    withPgClient(pool, async (client, discard) => {
      const ex = pgExecutor(client, true);
      if (!(await ex.query(st.takeLead)).rows[0].led) return { led: false, sequenced: 0 };
      let head = 0;
      let sequenced = 0;
      try {
        let hashed: Hashed | null = null;
        for (;;) {
          const taken: Row[] = await inSequencingSpan(hashed?.records.size ?? 0, async () => {
            return (await ex.query(st.sequenceRound, [...logged(head, hashed), maxBatches])).rows;
          });
          if (hashed) {
            sequenced += hashed.records.size;
            leader.committed(hashed.records);
          }
          if (taken.length > 0) {
            head = Number(taken[0].head);
            hashed = hash(st, taken, head);
          } else if (hashed !== null || (await leader.more())) hashed = null;
          else break;
        }
        await ex.query(st.releaseLead);
      } catch (err) {
        discard(err as Error); // its session, and with it the lead, ends
        throw err;
      }
      return { led: true, sequenced };
    }),
  );
}

/** A round that positions `events` events runs in a span (when the application traces). */
function inSequencingSpan<T>(events: number, fn: () => Promise<T>): Promise<T> {
  if (events === 0) return fn();
  return inSpan(
    'sequence_round postgresql',
    {
      kind: 'client',
      when: 'always',
      attributes: {
        'db.system.name': 'postgresql',
        'db.operation.name': 'sequence_round',
        'causeway.journal.events': events,
      },
    },
    fn,
  );
}

/** The parameters that log `hashed` after `head` (empty arrays: nothing to log). */
function logged(head: number, hashed: Hashed | null): unknown[] {
  const records = [...(hashed?.records.entries() ?? [])];
  return [
    head,
    [...(hashed?.batches ?? [])],
    records.map(([pk]) => pk),
    records.map(([, r]) => r.entity),
    records.map(([, r]) => r.streamVersion),
    records.map(([, r]) => r.scope),
    records.map(([, r]) => r.type),
    records.map(([, r]) => r.prevHash),
    records.map(([, r]) => r.hash),
  ];
}

/** Positions after `head` and chain links for taken events, in batch order. */
function hash(st: JournalStatements, taken: Row[], head: number): Hashed {
  const chains = new Map<string, { version: number; hash: Buffer }>();
  const batches = new Set<string>();
  const records = new Map<string, EventRecord>();
  let position = head;
  for (const row of taken) {
    const record = recordOfRow(row);
    if (!chains.has(record.entity) && row.chain_version !== null)
      chains.set(record.entity, { version: Number(row.chain_version), hash: row.chain_hash as Buffer });
    const chain = chains.get(record.entity);
    const expected = chain ? chain.version + 1 : 0;
    // The stream locks make this impossible; a round never writes a broken chain if it happens.
    if (record.streamVersion !== expected)
      throw new CorruptData(
        `sequencing found ${record.entity} version ${record.streamVersion} where ${expected} comes next`,
        { file: st.tables.events },
      );
    record.position = ++position;
    record.prevHash = chain?.hash ?? ZERO_HASH;
    record.hash = computeEventHash(record);
    chains.set(record.entity, { version: record.streamVersion, hash: record.hash });
    batches.add(String(row.batch_id));
    records.set(String(row.pk), record);
  }
  return { batches, records };
}
