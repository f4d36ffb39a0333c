import { InvalidArgument, JournalReadOnly } from '../../errors.js';
import { checkOptions, keys } from '../../validation.js';
import type { BatchItem, StoredEvent } from '../types.js';
import { validateCheckpointId } from './checkpoint-file.js';
import { startCursorWorker } from './cursor-worker.js';
import type { JournalFeed } from './feed.js';
import { CursorWorkerAction, type CursorWorkerHandle, type Reaction, type ReactorOptions } from './types.js';

const REACTOR_OPTIONS = keys('name', 'handlers', 'region', 'batchSize', 'restart', 'onReactions');

/** A reactor's options checked: its name, the handled types and the rest as given. */
export function checkReactor(options: ReactorOptions): ReactorOptions & { types: string[] } {
  checkOptions(options, REACTOR_OPTIONS, 'reactor option');
  const { name, handlers } = options ?? ({} as ReactorOptions);
  validateCheckpointId(name, 'reactor name');
  const types = Object.keys(handlers ?? {});
  if (types.length === 0 || types.some((t) => typeof handlers[t] !== 'function'))
    throw new InvalidArgument('a reactor needs handlers: { [eventType]: (event) => reactions }', { name });
  return { ...options, types };
}

/**
 * The batch a reactor appends for `source`: each reaction inherits the source's correlation and
 * names it as its cause; its idempotency key is derived from the reactor, the source and its index,
 * so a source handled again after a crash returns the first receipts instead of appending twice.
 */
export async function reactionsTo(options: ReactorOptions, source: StoredEvent): Promise<BatchItem[]> {
  const result = await options.handlers[source.type]!(source);
  const reactions: readonly Reaction[] =
    result === undefined ? [] : Array.isArray(result) ? result : [result as Reaction];
  return reactions.map(({ coordinate, event, ...guard }, i) => ({
    coordinate,
    event,
    options: { ...guard, causedBy: source.id, idempotencyKey: `reactor:${options.name}:${source.id}:${i}` },
  }));
}

/**
 * Starts a reactor: a durable cursor worker over the handled event types that appends each source
 * event's reactions (see {@link reactionsTo}) as one atomic batch.
 */
export function startReactor(journal: JournalFeed, options: ReactorOptions): CursorWorkerHandle {
  if (journal.readOnly) throw new JournalReadOnly();
  const { name, types, region = {}, batchSize, restart, onReactions } = checkReactor(options);
  return startCursorWorker(
    journal,
    { ...region, types },
    { name: `reactor:${name}`, checkpointId: `reactor.${name}`, batchSize, restart },
    async (batch) => {
      for (const source of batch) {
        const items = await reactionsTo(options, source);
        if (items.length === 0) continue;
        const receipts = journal.appendBatch(items);
        onReactions?.(source, receipts);
      }
      return CursorWorkerAction.continue;
    },
  );
}
