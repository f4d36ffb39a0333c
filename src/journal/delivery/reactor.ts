import { InvalidArgument, JournalReadOnly } from '../../errors.js';
import { inSpan, messagingSpan } from '../../tracing.js';
import { checkOptions, keys } from '../../validation.js';
import type { AppendReceipt, BatchItem, Region, StoredEvent } from '../types.js';
import { validateCheckpointId } from './checkpoint-file.js';
import { startCursorWorker } from './cursor-worker.js';
import type { JournalFeed } from './feed.js';
import {
  CursorWorkerAction,
  type CursorWorkerConfig,
  type CursorWorkerHandle,
  type CursorWorkerHandler,
  type Reaction,
  type ReactorOptions,
} from './types.js';

const REACTOR_OPTIONS = keys('name', 'handlers', 'region', 'batchSize', 'restart', 'onReactions');

/** What starting a reactor needs: its worker's region and config, and its handler. */
export interface ReactorWorker {
  readonly region: Region;
  readonly config: CursorWorkerConfig;
  readonly handler: CursorWorkerHandler;
}

/**
 * A reactor as a durable cursor worker over the handled event types (any backend starts it): each
 * source's reactions are appended with `appendBatch` as one atomic batch. Every reaction inherits
 * the source's correlation and names it as its cause; its idempotency key is derived from the
 * reactor, the source and its index, so a source handled again after a crash returns the first
 * receipts instead of appending twice.
 */
export function reactorWorker(
  options: ReactorOptions,
  appendBatch: (items: BatchItem[]) => AppendReceipt[] | Promise<AppendReceipt[]>,
): ReactorWorker {
  checkOptions(options, REACTOR_OPTIONS, 'reactor option');
  const { name, handlers, region = {}, batchSize, restart, onReactions } = options ?? ({} as ReactorOptions);
  validateCheckpointId(name, 'reactor name');
  const types = Object.keys(handlers ?? {});
  if (types.length === 0 || types.some((t) => typeof handlers[t] !== 'function'))
    throw new InvalidArgument('a reactor needs handlers: { [eventType]: (event) => reactions }', { name });

  const reactionsTo = async (source: StoredEvent): Promise<BatchItem[]> => {
    const result = await handlers[source.type]!(source);
    const reactions: readonly Reaction[] =
      result === undefined ? [] : Array.isArray(result) ? result : [result as Reaction];
    return reactions.map(({ coordinate, event, ...guard }, i) => ({
      coordinate,
      event,
      options: { ...guard, causedBy: source.id, idempotencyKey: `reactor:${name}:${source.id}:${i}` },
    }));
  };

  return {
    region: { ...region, types },
    config: { name: `reactor:${name}`, checkpointId: `reactor.${name}`, batchSize, restart },
    handler: async (batch) => {
      for (const source of batch)
        await inSpan(
          `react ${name}`,
          {
            kind: 'consumer',
            when: 'linked',
            from: [source.metadata],
            parentFromSingle: true,
            attributes: {
              ...messagingSpan('process', 'react', `reactor:${name}`, 1),
              'messaging.message.id': source.id,
            },
          },
          async () => {
            const items = await reactionsTo(source);
            if (items.length === 0) return;
            const receipts = await appendBatch(items);
            onReactions?.(source, receipts);
          },
        );
      return CursorWorkerAction.continue;
    },
  };
}

/** Starts a reactor on the embedded journal (see {@link reactorWorker}). */
export function startReactor(journal: JournalFeed, options: ReactorOptions): CursorWorkerHandle {
  if (journal.readOnly) throw new JournalReadOnly();
  const { region, config, handler } = reactorWorker(options, (items) => journal.appendBatch(items));
  return startCursorWorker(journal, region, config, handler);
}
