import { indexFromImage } from './index/index-snapshot.js';
import { JournalIndex } from './index/journal-index.js';
import { EventReader } from './read/event-reader.js';
import { SEGMENT_HEADER_BYTES, SegmentFiles } from './storage/segment.js';
import { readSnapshot, removeSnapshot } from './storage/snapshot-file.js';

/** The index to start from, and where in the segments scanning must resume. */
export interface LoadedIndex {
  index: JournalIndex;
  from: { segment: number; offset: number };
  path: 'new' | 'snapshot' | 'rebuild';
  rejected: string | null;
}

/**
 * Loads the index snapshot if it is intact and agrees with the segments (its end lies within them
 * and its last event is really there); otherwise starts an empty index for a full rebuild.
 */
export function loadIndex(dir: string, segments: number[], created: boolean): LoadedIndex {
  const first = { segment: segments[0], offset: SEGMENT_HEADER_BYTES };
  if (created) {
    removeSnapshot(dir); // left from an earlier journal whose segments are gone
    return { index: new JournalIndex(), from: first, path: 'new', rejected: null };
  }
  const image = readSnapshot(dir);
  if (typeof image === 'string')
    return { index: new JournalIndex(), from: first, path: 'rebuild', rejected: image };
  let index: JournalIndex;
  try {
    index = indexFromImage(image);
  } catch (err) {
    return {
      index: new JournalIndex(),
      from: first,
      path: 'rebuild',
      rejected: `inconsistent: ${(err as Error).message}`,
    };
  }
  const problem = disagreement(dir, segments, index);
  if (problem !== null) return { index: new JournalIndex(), from: first, path: 'rebuild', rejected: problem };
  return {
    index,
    from: { segment: index.endSegment, offset: index.endOffset },
    path: 'snapshot',
    rejected: null,
  };
}

function disagreement(dir: string, segments: number[], index: JournalIndex): string | null {
  if (index.count === 0)
    return index.endSegment === segments[0] || index.endSegment === 0
      ? null
      : 'empty snapshot of another journal';
  if (!segments.includes(index.endSegment)) return `snapshot ends in missing segment ${index.endSegment}`;
  const files = new SegmentFiles(dir);
  try {
    if (files.size(index.endSegment) < index.endOffset) return 'snapshot ends past the end of its segment';
    const last = index.count - 1;
    const record = new EventReader(files, index, dir).record(last);
    if (!record.id.equals(index.idOf(last))) return 'snapshot does not match the segments';
    return null;
  } catch (err) {
    return `snapshot does not match the segments: ${(err as Error).message}`;
  } finally {
    files.close();
  }
}
