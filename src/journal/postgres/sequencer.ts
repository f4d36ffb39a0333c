/**
 * Gives appended events their global positions and hash chain, after their transactions commit.
 * Rounds are serialized by the head row, so positions are dense, become visible in order, and a
 * reader of `position > n` never skips an event that committed late: an event has no position
 * until a round gives it one. Any process may run rounds; two at once only take turns.
 */
import type pg from 'pg';
import { CorruptData } from '../../errors.js';
import type { Row, SqlExecutor } from '../../sql/index.js';
import { computeEventHash } from '../event-hash.js';
import { ZERO_HASH } from '../hash.js';
import { recordOfRow } from './records.js';
import type { JournalStatements } from './statements.js';
import { inTransaction } from './transaction.js';

/** What a round did: how many events it sequenced, and the head position after it. */
export interface Round {
  readonly sequenced: number;
  readonly head: number;
}

/** Batches a round takes at most: a round is one transaction, kept short. */
export const ROUND_BATCHES = 500;

/** Sequences what is pending (whole batches, oldest first), in one transaction. */
export function sequenceRound(
  pool: pg.Pool,
  st: JournalStatements,
  maxBatches = ROUND_BATCHES,
): Promise<Round> {
  return inTransaction(pool, async (ex) => {
    let head = Number((await ex.query(st.lockHead)).rows[0].position);
    const taken = (await ex.query(st.takePending, [maxBatches])).rows;
    if (taken.length === 0) return { sequenced: 0, head };
    const order = taken
      .map((r) => ({ batch: BigInt(r.batch_id as string), item: Number(r.item), pk: String(r.event_pk) }))
      .sort((a, b) => (a.batch === b.batch ? a.item - b.item : a.batch < b.batch ? -1 : 1));
    const rows = new Map<string, Row>();
    for (const row of (await ex.query(st.pendingEvents, [order.map((o) => o.pk)])).rows)
      rows.set(String(row.pk), row);
    const chains = await chainHeads(ex, st, [...new Set([...rows.values()].map((r) => r.entity as string))]);
    const log = {
      position: [] as number[],
      pk: [] as string[],
      entity: [] as string[],
      version: [] as number[],
    };
    const more = { scope: [] as string[], type: [] as string[], prev: [] as Buffer[], hash: [] as Buffer[] };
    for (const { pk } of order) {
      const record = recordOfRow(rows.get(pk)!);
      const chain = chains.get(record.entity);
      const expected = chain ? chain.version + 1 : 0;
      // The stream locks make this impossible; a round never writes a broken chain if it happens.
      if (record.streamVersion !== expected)
        throw new CorruptData(
          `sequencing found ${record.entity} version ${record.streamVersion} where ${expected} comes next`,
          { file: st.tables.events },
        );
      record.position = ++head;
      record.prevHash = chain?.hash ?? ZERO_HASH;
      record.hash = computeEventHash(record);
      chains.set(record.entity, { version: record.streamVersion, hash: record.hash });
      log.position.push(record.position);
      log.pk.push(pk);
      log.entity.push(record.entity);
      log.version.push(record.streamVersion);
      more.scope.push(record.scope);
      more.type.push(record.type);
      more.prev.push(record.prevHash);
      more.hash.push(record.hash);
    }
    await ex.query(st.insertLog, [
      log.position,
      log.pk,
      log.entity,
      log.version,
      more.scope,
      more.type,
      more.prev,
      more.hash,
    ]);
    await ex.query(st.advanceHead, [head]);
    await ex.query(st.announce, [String(head)]); // delivered on commit, once per round
    return { sequenced: order.length, head };
  });
}

async function chainHeads(ex: SqlExecutor, st: JournalStatements, entities: string[]) {
  const heads = new Map<string, { version: number; hash: Buffer }>();
  for (const r of (await ex.query(st.chainHeads, [entities])).rows)
    heads.set(r.entity as string, { version: Number(r.stream_version), hash: r.hash as Buffer });
  return heads;
}
