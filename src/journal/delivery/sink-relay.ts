/**
 * A journal relayed to a broker: a cursor worker that publishes each batch through a sink and
 * commits its checkpoint only once the broker has acknowledged the whole batch.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgument, SinkPublishFailed } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { publishInSpan, type Sink, type SinkRecord } from '../../sink.js';
import { checkOptions, keys } from '../../validation.js';
import { Backoff } from '../../worker/schedule.js';
import { journalJson } from '../json.js';
import { validateRegion } from '../region.js';
import type { Region, StoredEvent, Watermarks } from '../types.js';
import { validateCheckpointId } from './checkpoint-file.js';
import type {
  CursorWorkerConfig,
  CursorWorkerHandle,
  CursorWorkerHandler,
  SinkRelayHandle,
  SinkRelayOptions,
  SinkRelayStats,
} from './types.js';
import { CursorWorkerAction } from './types.js';

/** What a relay needs of a journal (either backend). */
export interface SinkRelayJournal {
  cursorWorker(region: Region, config: CursorWorkerConfig, handler: CursorWorkerHandler): CursorWorkerHandle;
  watermarks(): Promise<Watermarks>;
  /** Resolves once the events up to `position` are durable (before a broker may hold them). */
  makeDurable(position: number): Promise<void>;
  /** The saved checkpoints (a relay waiting for another's lease reports the saved position). */
  checkpoints(): Promise<readonly { readonly id: string; readonly position: number }[]>;
  readonly logger: Logger;
}

const OPTIONS = keys('region', 'checkpointId', 'name', 'batchSize', 'retryBackoff', 'onError');

/** Starts relaying `journal` to `sink`; see `Journal.sinkTo`. */
export function relayToSink(
  journal: SinkRelayJournal,
  sink: Sink,
  options: SinkRelayOptions = {},
): SinkRelayHandle {
  checkOptions(options, OPTIONS, 'sinkTo option');
  if (typeof sink?.publish !== 'function' || typeof sink.name !== 'string')
    throw new InvalidArgument('sinkTo needs a Sink (a name and a publish function)');
  const { region = {}, checkpointId, batchSize = 256 } = options;
  validateRegion(region);
  if (checkpointId !== undefined) validateCheckpointId(checkpointId);
  const mirror = typeof sink.resumeAfter === 'function';
  if (mirror && (checkpointId !== undefined || Object.keys(region).length > 0))
    throw new InvalidArgument(
      `sink ${sink.name} keeps the journal's positions itself: relay the whole journal to it, with no region or checkpointId`,
      { sink: sink.name },
    );
  if (!mirror && checkpointId === undefined)
    throw new InvalidArgument('sinkTo needs a checkpointId: the relay resumes from it after a restart', {
      sink: sink.name,
    });
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new InvalidArgument('batchSize must be a positive integer', { batchSize });
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0))
    throw new InvalidArgument('name must be a non-empty string', { name: options.name });
  if (options.onError !== undefined && typeof options.onError !== 'function')
    throw new InvalidArgument('onError must be a function');
  const backoff = options.retryBackoff ?? {};
  checkOptions(backoff, keys('initialMs', 'maxMs', 'multiplier'), 'retryBackoff option');
  const retryDelay = () =>
    new Backoff({
      initial: backoff.initialMs ?? 100,
      max: backoff.maxMs ?? 30_000,
      multiplier: backoff.multiplier,
    });
  retryDelay(); // checks the options now
  const name = options.name ?? `sink:${checkpointId ?? sink.name}`;
  const logger = journal.logger;
  const report = (err: unknown, at: { attempt: number; position?: number }) => {
    try {
      options.onError?.(err, { sink: sink.name, worker: name, ...at });
    } catch (hookErr) {
      logger.error({ err: hookErr, worker: name }, "the relay's onError hook threw; the relay goes on");
    }
  };

  const counts = { published: 0, retries: 0, position: 0, lastError: null as string | null, failing: false };
  let lastPublishedAt: Date | null = null;
  /** Set when the sink holds other positions than expected (mirror mode): the relay asks it again. */
  let rewind = false;
  let fatal: SinkPublishFailed | undefined;

  const handler: CursorWorkerHandler = async (batch, context) => {
    const records = batch.map(sinkRecordOf);
    // A broker must never hold an event a power cut could take from the journal.
    await journal.makeDurable(records[records.length - 1].position!);
    let from = 0;
    const delays = retryDelay();
    for (;;) {
      try {
        await publishInSpan(sink, from === 0 ? records : records.slice(from), context.signal);
        published(records.length - from, records[records.length - 1].position!);
        counts.failing = false;
        return CursorWorkerAction.continue;
      } catch (e) {
        const err =
          e instanceof SinkPublishFailed ? e : new SinkPublishFailed(sink.name, 0, false, String(e), e);
        if (err.published > 0) published(err.published, records[from + err.published - 1].position!);
        from += err.published;
        counts.lastError = err.message;
        counts.failing = true;
        const at = { attempt: delays.failures + 1, position: records[from]?.position };
        report(err, at);
        if (err.permanent) {
          fatal = err;
          logger.error({ err, worker: name, ...at }, 'sink refused an event for good; the relay stops');
          return CursorWorkerAction.stopWithRollback;
        }
        if (err.resumeAfter !== undefined) {
          rewind = true;
          logger.warn(
            { err, worker: name, resumeAfter: err.resumeAfter },
            'sink holds other positions than the relay expected; it resumes from the sink',
          );
          return CursorWorkerAction.stopWithRollback;
        }
        const delayMs = Math.round(delays.fail());
        counts.retries++;
        logger.warn({ err, worker: name, ...at, delayMs }, 'sink publish failed; it is tried again');
        try {
          await sleep(delayMs, undefined, { signal: context.signal });
        } catch {
          return CursorWorkerAction.stopWithRollback; // stopping: the rest is published next time
        }
      }
    }
  };
  const published = (n: number, position: number) => {
    counts.published += n;
    counts.position = position;
    lastPublishedAt = new Date();
  };

  const config = { name, batchSize };
  let current: CursorWorkerHandle | undefined;
  const stopped = new AbortController();
  const run = async (): Promise<void> => {
    if (!mirror) {
      current = journal.cursorWorker(region, { ...config, checkpointId }, handler);
      await current.join();
    } else {
      let after = await mirrorStart();
      while (after !== undefined && !stopped.signal.aborted) {
        counts.position = after;
        rewind = false;
        current = journal.cursorWorker({}, { ...config, after }, handler);
        await current.join();
        after = rewind ? await mirrorStart() : undefined;
      }
    }
    if (fatal) throw fatal;
  };
  /**
   * Where a mirror resumes: one before the last position the sink holds, so that message is sent
   * again and the sink checks it is this journal's event.
   */
  const mirrorStart = async (): Promise<number | undefined> => {
    const answer = await untilAnswered(async () => ({
      held: await sink.resumeAfter!(),
      visible: (await journal.watermarks()).visible,
    }));
    if (answer === undefined) return undefined; // stopped meanwhile
    const { held, visible } = answer;
    if (held > visible) {
      fatal = new SinkPublishFailed(
        sink.name,
        0,
        true,
        `the sink holds position ${held}, past the journal's end (${visible}): it is not a mirror of this journal`,
      );
      logger.error({ err: fatal, worker: name }, 'sink is ahead of the journal; the relay stops');
      throw fatal;
    }
    return Math.max(0, held - 1);
  };
  /** `ask`, tried again after a logged backoff while it fails (a broker or database away) and the relay runs. */
  const untilAnswered = async <T>(ask: () => Promise<T>): Promise<T | undefined> => {
    const delays = retryDelay();
    for (;;) {
      try {
        return await ask();
      } catch (err) {
        if (stopped.signal.aborted) return undefined;
        const delayMs = Math.round(delays.fail());
        counts.failing = true;
        counts.lastError = (err as Error)?.message ?? String(err);
        report(err, { attempt: delays.failures });
        logger.warn(
          { err, worker: name, attempt: delays.failures, delayMs },
          'sink position unknown; it is asked again',
        );
        await sleep(delayMs, undefined, { signal: stopped.signal }).catch(() => {});
      }
    }
  };
  const done = run();
  done.catch(() => {}); // reported through join()
  const stop = () => {
    stopped.abort();
    current?.stop();
  };
  return {
    name,
    get committed() {
      return current?.committed ?? counts.position;
    },
    get restarts() {
      return current?.restarts ?? 0;
    },
    stop,
    join: () => done,
    stopAndJoin: () => {
      stop();
      return done;
    },
    stats: async (): Promise<SinkRelayStats> => {
      const { visible } = await journal.watermarks();
      const saved =
        checkpointId === undefined
          ? 0
          : ((await journal.checkpoints()).find((c) => c.id === checkpointId)?.position ?? 0);
      const position = Math.max(counts.position, current?.committed ?? 0, saved);
      return {
        sink: sink.name,
        published: counts.published,
        retries: counts.retries,
        position,
        lag: Math.max(0, visible - position),
        failing: counts.failing,
        lastError: counts.lastError,
        lastPublishedAt,
      };
    },
  };
}

const utf8 = new TextEncoder();
/** What a stored trace context must look like to travel on as a header (W3C Trace Context). */
const TRACE_HEADERS: Record<string, RegExp> = {
  traceparent: /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/,
  tracestate: /^[\x20-\x7e]{1,512}$/,
};

/**
 * A journal event as a sink publishes it: its data as JSON (bigints as decimal strings, nested bytes
 * as `{ base64 }`; data that is bytes, as they are) and `causeway-*` headers, with the trace context
 * it was appended in.
 */
export function sinkRecordOf(e: StoredEvent): SinkRecord {
  const bytes = e.data instanceof Uint8Array;
  const headers: Record<string, string> = {
    'causeway-event-id': e.id,
    'causeway-type': e.type,
    'causeway-entity': e.entity,
    'causeway-scope': e.scope,
    'causeway-position': String(e.position),
    'causeway-stream-version': String(e.streamVersion),
    'causeway-correlation-id': e.correlationId,
    'causeway-hash': e.hash,
  };
  if (e.causationId !== null) headers['causeway-causation-id'] = e.causationId;
  for (const [key, form] of Object.entries(TRACE_HEADERS)) {
    const value = e.metadata?.[key];
    if (typeof value === 'string' && form.test(value)) headers[key] = value;
  }
  return {
    id: e.id,
    type: e.type,
    source: 'journal',
    aggregateType: e.scope,
    aggregateId: e.entity,
    position: e.position,
    fields: { type: e.type, entity: e.entity, scope: e.scope },
    payload: bytes ? (e.data as Uint8Array) : utf8.encode(journalJson(e.data ?? null)),
    contentType: bytes ? 'application/octet-stream' : 'application/json',
    headers,
    time: new Date(e.timestamp),
  };
}
