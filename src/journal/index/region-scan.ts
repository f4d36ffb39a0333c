import { entityHasPrefix } from '../coordinate.js';
import type { Region } from '../types.js';
import type { U32List } from './growable.js';
import type { JournalIndex } from './journal-index.js';

/**
 * Slots of the next `limit` events of `region` after global position `after`, among the first
 * `visible` slots. The scan walks the smallest posting list that covers the region (a stream, an
 * entity prefix, a scope, a set of types, or everything) and filters by the other criteria, so a
 * page costs in proportion to that list's stretch, not to the journal.
 */
export function scanRegion(
  index: JournalIndex,
  region: Region | undefined,
  after: number,
  limit: number,
  visible: number,
): number[] {
  const r = region ?? {};
  const firstSlot = Math.max(after, (r.fromPosition ?? 1) - 1);
  const endSlot = Math.min(visible, r.toPosition ?? visible);
  const out: number[] = [];
  if (limit <= 0 || firstSlot >= endSlot) return out;

  const sources = candidateSources(index, r);
  if (sources === null) return out; // some criterion names nothing that exists
  const accept = filterFor(index, r);

  if (sources.length === 0) {
    for (let s = firstSlot; s < endSlot && out.length < limit; s++) if (accept(s)) out.push(s);
    return out;
  }
  // Merge the chosen lists in slot order, starting after `firstSlot - 1`.
  const cursors = sources.map((list) => ({ list, i: list.upperBound(firstSlot - 1) }));
  while (out.length < limit) {
    let best = -1;
    let bestSlot = Number.POSITIVE_INFINITY;
    for (let c = 0; c < cursors.length; c++) {
      const { list, i } = cursors[c];
      if (i < list.length && list.items[i] < bestSlot) {
        bestSlot = list.items[i];
        best = c;
      }
    }
    if (best === -1 || bestSlot >= endSlot) break;
    cursors[best].i++;
    if (accept(bestSlot)) out.push(bestSlot);
  }
  return out;
}

/**
 * The smallest set of posting lists whose union covers the region; `[]` means "scan all",
 * `null` means the region cannot match anything.
 */
function candidateSources(index: JournalIndex, r: Region): U32List[] | null {
  const options: U32List[][] = [];
  if (r.entityPrefix !== undefined) {
    const lists: U32List[] = [];
    const stream = index.streamByName.get(r.entityPrefix);
    if (stream !== undefined) lists.push(index.streamSlots[stream]);
    const prefixed = index.prefixPostings.get(r.entityPrefix);
    if (prefixed) lists.push(prefixed);
    if (lists.length === 0) return null;
    options.push(lists);
  }
  if (r.scope !== undefined) {
    const scope = index.scopes.id(r.scope);
    if (scope === undefined) return null;
    options.push([index.scopePostings[scope]]);
  }
  if (r.types !== undefined) {
    const lists = r.types
      .map((t) => index.types.id(t))
      .filter((t) => t !== undefined)
      .map((t) => index.typePostings[t]);
    if (lists.length === 0) return null;
    options.push(lists);
  }
  if (options.length === 0) return [];
  const size = (lists: U32List[]) => lists.reduce((n, l) => n + l.length, 0);
  return options.reduce((a, b) => (size(b) < size(a) ? b : a));
}

function filterFor(index: JournalIndex, r: Region): (slot: number) => boolean {
  const streamOf = index.streamOf.array;
  const typeOf = index.typeOf.array;
  const scope = r.scope === undefined ? undefined : index.scopes.id(r.scope);
  const types = r.types === undefined ? undefined : new Set(r.types.map((t) => index.types.id(t)));
  const prefix = r.entityPrefix;
  const streamMatches = new Map<number, boolean>();
  return (slot) => {
    if (types !== undefined && !types.has(typeOf[slot])) return false;
    const stream = streamOf[slot];
    if (scope !== undefined && index.streamScope.array[stream] !== scope) return false;
    if (prefix !== undefined) {
      let ok = streamMatches.get(stream);
      if (ok === undefined) {
        ok = entityHasPrefix(index.streamNames[stream], prefix);
        streamMatches.set(stream, ok);
      }
      if (!ok) return false;
    }
    return true;
  };
}
