/**
 * Copying events into a journal in PostgreSQL exactly as another journal keeps them: ids,
 * positions, stream versions, timestamps, links, payload bytes, extensions, layout and hashes.
 * The caller checks the chain (see copy.ts); each call is one transaction, fenced by the head.
 */
import type pg from 'pg';
import { CorruptData } from '../../errors.js';
import type { EventRecord } from '../codec.js';
import { idToString } from '../ids.js';
import type { JournalStatements } from './statements.js';
import { inTransaction } from './transaction.js';

export async function importRecords(
  pool: pg.Pool,
  st: JournalStatements,
  records: readonly EventRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const first = records[0].position;
  const last = records[records.length - 1].position;
  const column = <T>(f: (r: EventRecord) => T) => records.map(f);
  const keyed = records.filter((r) => r.idemKey !== null);
  await inTransaction(pool, async (ex) => {
    await ex.query(st.importEvents, [
      column((r) => r.position),
      column((r) => idToString(r.id)),
      column((r) => r.entity),
      column((r) => r.scope),
      column((r) => r.streamVersion),
      column((r) => r.type),
      column((r) => r.payloadVersion),
      column((r) => r.timestamp),
      column((r) => idToString(r.correlation)),
      column((r) => r.causation && idToString(r.causation)),
      column((r) => r.metadata),
      column((r) => r.data),
      column((r) => r.extensions),
      column((r) => r.idemKey),
      column((r) => r.idemDigest),
      column((r) => r.layout),
      column((r) => r.position),
      column((r) => r.prevHash),
      column((r) => r.hash),
      keyed.map((r) => r.idemKey),
      keyed.map((r) => r.idemDigest),
      keyed.map((r) => idToString(r.id)),
      column((r) => r.entity),
      column((r) => r.scope),
      column((r) => r.streamVersion),
      column((r) => r.timestamp),
    ]);
    const moved = await ex.query(st.importHead, [last, first - 1]);
    if (moved.rows.length === 0)
      throw new CorruptData(`cannot copy in: the journal's head is not at ${first - 1}`, {
        file: st.tables.head,
      });
    await ex.query(st.importBatchIds, [last]);
  });
}
