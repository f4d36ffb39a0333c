import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgument, IoError } from '../errors.js';
import { type Journal, openReadOnly } from '../journal/index.js';
import { isSegmentFileName } from '../journal/storage/segment.js';

/** True when `dir` is a directory holding journal segment files; false when there is no such directory. */
export function isJournalDir(dir: string): boolean {
  try {
    return fs.readdirSync(dir).some(isSegmentFileName);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw new IoError('listing the journal directory', dir, err); // unreadable is not "no journal"
  }
}

/**
 * The error for a directory that is not a journal but holds one in `journal/` (what `causeway demo`
 * writes: `./causeway-demo/journal`), or null. Opening it would only say "no journal in" the parent.
 */
export function journalInSubdir(dir: string): InvalidArgument | null {
  if (isJournalDir(dir)) return null;
  const sub = `${dir.replace(/[\\/]+$/, '')}${path.sep}journal`;
  if (!isJournalDir(sub)) return null;
  return new InvalidArgument(`not a journal: ${dir} (did you mean ${sub}?)`, { dir, journal: sub });
}

/**
 * Opens `dir` read-only, first pointing at its `journal/` subdirectory when that is the journal;
 * `receiptKeys` sign and check the receipts it derives.
 */
export function openJournalDir(dir: string, receiptKeys?: readonly string[]): Journal {
  const misplaced = journalInSubdir(dir);
  if (misplaced) throw misplaced;
  return openReadOnly(dir, receiptKeys ? { receiptKeys } : undefined);
}
