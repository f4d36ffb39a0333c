import { InvalidArgument } from '../errors.js';
import type {
  AsyncJournal,
  CursorWorkerHandle,
  Region,
  RestartPolicy,
  StoredEvent,
} from '../journal/index.js';
import { CursorWorkerAction } from '../journal/index.js';
import type { Outbox } from './outbox.js';
import type { NewMessage } from './types.js';

/** Configuration of {@link relayToOutbox}. */
export interface RelayOptions {
  /** The journal events to relay. */
  region: Region;
  /** The outbox queue they go to (registered by an outbox with this queue declared). */
  queue: string;
  /** Partition key per event (same key, same order); a string names a fixed key. Default: the entity. */
  key?: string | ((event: StoredEvent) => string);
  /** Message payload per event. Default: the event's data (must be JSON or bytes). */
  payload?: (event: StoredEvent) => NewMessage['payload'];
  /** Names the relay's checkpoint (`relay.<name>`); keep it stable. Default: the queue. */
  name?: string;
  /** Events per enqueue transaction. Default 256. */
  batchSize?: number;
  restart?: RestartPolicy;
}

/**
 * Relays journal events (of the embedded journal or one in PostgreSQL) into an outbox queue with a
 * durable cursor worker. Each batch is enqueued
 * in one outbox transaction, then checkpointed; the dedupe key is the event id, so a batch enqueued
 * again after a crash (before its checkpoint) adds nothing. Messages carry the
 * event's type and headers `event-id`, `entity`, `position`, `correlation-id`.
 */
export function relayToOutbox(
  journal: Pick<AsyncJournal, 'cursorWorker'>,
  outbox: Outbox,
  options: RelayOptions,
): CursorWorkerHandle {
  const {
    region,
    queue,
    key,
    payload,
    name = queue,
    batchSize = 256,
    restart,
  } = options ?? ({} as RelayOptions);
  if (typeof queue !== 'string' || queue.length === 0) throw new InvalidArgument('a relay needs a queue');
  const keyOf = typeof key === 'function' ? key : (e: StoredEvent) => key ?? e.entity;
  const payloadOf = payload ?? ((e: StoredEvent) => e.data as NewMessage['payload']);
  const messageOf = (e: StoredEvent): NewMessage => ({
    dedupeKey: e.id,
    type: e.type,
    key: keyOf(e),
    payload: payloadOf(e),
    headers: {
      'event-id': e.id,
      entity: e.entity,
      position: String(e.position),
      'correlation-id': e.correlationId,
    },
  });
  return journal.cursorWorker(
    region,
    { checkpointId: `relay.${name}`, name: `relay:${name}`, batchSize, restart },
    async (batch) => {
      await outbox.enqueueAndCommit(queue, batch.map(messageOf));
      return CursorWorkerAction.continue;
    },
  );
}
