/**
 * Moving a journal between backends (a directory and PostgreSQL, either way): every event as it is
 * kept, so ids, positions, stream versions, timestamps, links, payloads (not upcast), extensions and
 * hashes are the same on both sides, `verify` passes on both, and receipts issued before the move
 * still verify after it.
 */
import { CorruptData, InvalidArgument } from '../errors.js';
import { ChainChecker } from './chain-check.js';
import type { EventRecord } from './codec.js';
import type { JournalStats } from './types.js';

/** A journal as a copy reads and writes it: stored records, page by page. */
export interface CopyEnd {
  stats(): JournalStats | Promise<JournalStats>;
  exportRecords(after: number, limit: number): EventRecord[] | Promise<EventRecord[]>;
  importRecords(records: readonly EventRecord[]): void | Promise<void>;
}

export interface CopyOptions {
  /** Events per page read and written. Default 1,000. */
  pageSize?: number;
  /** Told the number of events copied so far, after each page. */
  onProgress?: (copied: number, total: number) => void;
}

/**
 * Copies every event of `from` into `to`, which must hold none. The chain is checked on the way:
 * a broken source is refused (`CorruptData`) at its first break, with what came before it copied.
 */
export async function copyJournal(
  from: CopyEnd,
  to: CopyEnd,
  options: CopyOptions = {},
): Promise<{ events: number }> {
  const pageSize = options.pageSize ?? 1000;
  if ((await to.stats()).events > 0)
    throw new InvalidArgument('a journal is copied into an empty journal only');
  const total = (await from.stats()).events;
  const chain = new ChainChecker();
  for (let after = 0; ; ) {
    const page = await from.exportRecords(after, pageSize);
    if (page.length === 0) break;
    for (const r of page) {
      const misfit = chain.check(r);
      if (misfit)
        throw new CorruptData(
          `position ${r.position} (${r.entity} version ${r.streamVersion}): ${misfit.message}`,
          { file: 'the journal copied' },
        );
    }
    await to.importRecords(page);
    after = page[page.length - 1].position;
    options.onProgress?.(chain.checked, total);
  }
  return { events: chain.checked };
}
