import { CorruptData } from '../errors.js';
import { indexFromImage } from './index/index-snapshot.js';
import { JournalIndex } from './index/journal-index.js';
import { EventReader } from './read/event-reader.js';
import { listSegments, SEGMENT_HEADER_BYTES, SegmentFiles } from './storage/segment.js';
import { readSnapshot, removeSnapshot } from './storage/snapshot-file.js';

/** The index to start from, and where in the segments scanning must resume. */
export interface LoadedIndex {
  index: JournalIndex;
  from: { segment: number; offset: number };
  path: 'new' | 'snapshot' | 'rebuild';
  rejected: string | null;
  /** The segments the index was checked against. */
  segments: number[];
}

/**
 * Loads the index snapshot if it is intact and agrees with the segments (its end lies within them
 * and its last event is really there); otherwise starts an empty index for a full rebuild. A
 * snapshot is written only after the events it covers are durable, so one that covers events the
 * segments no longer hold means they were lost or cut: that is {@link CorruptData}, never a silently
 * shorter journal. Only a snapshot whose first event's place holds another event is taken for one of
 * another journal and set aside. `segments` may be replaced
 * by a fresh listing (a reader's writer may have started a segment since it was taken).
 */
export function loadIndex(dir: string, segments: number[], created: boolean): LoadedIndex {
  const first = { segment: segments[0], offset: SEGMENT_HEADER_BYTES };
  if (created) {
    refuseOrphanSnapshot(dir);
    removeSnapshot(dir); // an empty one, or one too damaged to say what it covered
    return { index: new JournalIndex(), from: first, path: 'new', rejected: null, segments };
  }
  const rebuild = (rejected: string): LoadedIndex => ({
    index: new JournalIndex(),
    from: first,
    path: 'rebuild',
    rejected,
    segments,
  });
  const image = readSnapshot(dir);
  if (typeof image === 'string') return rebuild(image);
  let index: JournalIndex;
  try {
    index = indexFromImage(image);
  } catch (err) {
    return rebuild(`inconsistent: ${(err as Error).message}`);
  }
  const problem = disagreement(dir, segments, index);
  // A snapshot of another journal holds neither its first nor its last event here; one of this
  // journal holds at least one of them, and then any other disagreement is a loss.
  if (problem !== null && (firstEventOf(dir, index) !== 'another' || lastEventHeld(dir, index))) {
    const now = listSegments(dir);
    if (now.join() !== segments.join()) return loadIndex(dir, now, created);
    throw new CorruptData(
      `index.snap covers ${index.count} events, but ${problem}: events made durable are gone. ` +
        'If the segments were cut or restored on purpose, or copied while their writer ran, ' +
        'delete index.snap to open what they hold',
      { file: 'index.snap', segment: index.endSegment, offset: index.endOffset },
    );
  }
  if (problem !== null) return rebuild(problem);
  return {
    index,
    from: { segment: index.endSegment, offset: index.endOffset },
    path: 'snapshot',
    rejected: null,
    segments,
  };
}

function disagreement(dir: string, segments: number[], index: JournalIndex): string | null {
  if (index.count === 0)
    return index.endSegment === segments[0] || index.endSegment === 0
      ? null
      : 'empty snapshot of another journal';
  if (!segments.includes(index.endSegment)) return `segment ${index.endSegment}, where it ends, is missing`;
  const files = new SegmentFiles(dir);
  try {
    if (files.size(index.endSegment) < index.endOffset)
      return `segment ${index.endSegment} ends before the offset ${index.endOffset} it covers`;
    const reader = new EventReader(files, index, dir);
    const last = index.count - 1;
    if (!reader.record(last).id.equals(index.idOf(last))) return 'its last event is not in the segments';
    // Every segment it covers must still hold its first and last events: a segment deleted, cut
    // or replaced before the last one is a loss too, not something to find at a later read.
    // An event whose frame is in place but whose bytes changed (a CRC mismatch) is left for reads
    // and verify to report as tampering, as they do for any other event.
    for (const [segment, first, final] of segmentSpans(index)) {
      if (!segments.includes(segment)) return `segment ${segment}, which it covers, is missing`;
      const end = index.offsetOf.array[final] + index.lengthOf.array[final];
      if (files.size(segment) < end) return `segment ${segment} ends before the offset ${end} it covers`;
      for (const slot of [first, final]) {
        let held: boolean;
        try {
          held = reader.record(slot).id.equals(index.idOf(slot));
        } catch (err) {
          if ((err as CorruptData).details?.reason !== 'CRC mismatch') throw err;
          held = true;
        }
        if (!held) return `segment ${segment} does not hold the events it covers`;
      }
    }
    return null;
  } catch (err) {
    return `its last event cannot be read: ${(err as Error).message}`;
  } finally {
    files.close();
  }
}

/**
 * What the segments hold where the snapshot says its first event is: that event (a snapshot of this
 * journal), another event (a snapshot of another journal), or nothing readable (the event is gone:
 * a segment emptied or cut that short is a loss, not a sign of another journal).
 */
function firstEventOf(dir: string, index: JournalIndex): 'same' | 'another' | 'gone' {
  if (index.count === 0) return 'another';
  const files = new SegmentFiles(dir);
  try {
    return new EventReader(files, index, dir).record(0).id.equals(index.idOf(0)) ? 'same' : 'another';
  } catch {
    return 'gone';
  } finally {
    files.close();
  }
}

/** Each segment the index covers, with the slots of its first and last events. */
function segmentSpans(index: JournalIndex): [number, number, number][] {
  const spans: [number, number, number][] = [];
  const of = index.segmentOf.array;
  for (let slot = 0; slot < index.count; slot++) {
    const current = spans.at(-1);
    if (current && current[0] === of[slot]) current[2] = slot;
    else spans.push([of[slot], slot, slot]);
  }
  return spans;
}

/** True when the segments hold the snapshot's last event where it says. */
function lastEventHeld(dir: string, index: JournalIndex): boolean {
  if (index.count === 0) return false;
  const files = new SegmentFiles(dir);
  try {
    const last = index.count - 1;
    return new EventReader(files, index, dir).record(last).id.equals(index.idOf(last));
  } catch {
    return false;
  } finally {
    files.close();
  }
}

/**
 * A directory without segments whose snapshot covers events lost them (deleted by hand, say):
 * that is {@link CorruptData}, not a new journal that would delete the snapshot, the one record of
 * what was there.
 */
export function refuseOrphanSnapshot(dir: string): void {
  const image = readSnapshot(dir);
  if (typeof image === 'string') return;
  let count: number;
  try {
    count = indexFromImage(image).count;
  } catch {
    return;
  }
  if (count > 0)
    throw new CorruptData(
      `index.snap covers ${count} events, but the directory holds no segment files: events made ` +
        'durable are gone. Restore the segments, or delete index.snap to start a new journal here',
      { file: 'index.snap' },
    );
}
