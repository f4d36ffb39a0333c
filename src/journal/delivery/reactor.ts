import { InvalidArgument, JournalReadOnly } from '../../errors.js';
import { checkOptions, keys } from '../../validation.js';
import type { BatchItem, StoredEvent } from '../types.js';
import { validateCheckpointId } from './checkpoint-file.js';
import { startCursorWorker } from './cursor-worker.js';
import type { JournalFeed } from './feed.js';
import { CursorWorkerAction, type CursorWorkerHandle, type Reaction, type ReactorOptions } from './types.js';

const REACTOR_OPTIONS = keys('name', 'handlers', 'region', 'batchSize', 'restart', 'onReactions');

/**
 * Starts a reactor: a durable cursor worker over the handled event types that appends each source
 * event's reactions as one atomic batch. Every reaction inherits the source's correlation and names
 * the source as its cause; its idempotency key is derived from the reactor, the source and its index,
 * so a source handled again after a crash returns the first receipts instead of appending twice.
 */
export function startReactor(journal: JournalFeed, options: ReactorOptions): CursorWorkerHandle {
  if (journal.readOnly) throw new JournalReadOnly();
  checkOptions(options, REACTOR_OPTIONS, 'reactor option');
  const { name, handlers, region = {}, batchSize, restart, onReactions } = options ?? ({} as ReactorOptions);
  validateCheckpointId(name, 'reactor name');
  const types = Object.keys(handlers ?? {});
  if (types.length === 0 || types.some((t) => typeof handlers[t] !== 'function'))
    throw new InvalidArgument('a reactor needs handlers: { [eventType]: (event) => reactions }', { name });

  const react = async (source: StoredEvent): Promise<void> => {
    const result = await handlers[source.type]!(source);
    const reactions: readonly Reaction[] =
      result === undefined ? [] : Array.isArray(result) ? result : [result as Reaction];
    if (reactions.length === 0) return;
    const items: BatchItem[] = reactions.map(({ coordinate, event, ...guard }, i) => ({
      coordinate,
      event,
      options: { ...guard, causedBy: source.id, idempotencyKey: `reactor:${name}:${source.id}:${i}` },
    }));
    const receipts = journal.appendBatch(items);
    onReactions?.(source, receipts);
  };

  return startCursorWorker(
    journal,
    { ...region, types },
    { name: `reactor:${name}`, checkpointId: `reactor.${name}`, batchSize, restart },
    async (batch) => {
      for (const source of batch) await react(source);
      return CursorWorkerAction.continue;
    },
  );
}
