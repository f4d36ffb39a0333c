import fs from 'node:fs';
import type { CorruptData } from '../errors.js';
import { ChainChecker } from './chain-check.js';
import { FrameKind } from './codec.js';
import { decodeFrameBody } from './event-frame.js';
import { scanFrames } from './storage/frame.js';
import { io, listSegments, SEGMENT_HEADER_BYTES, segmentPath } from './storage/segment.js';
import type { ChainBreak, VerifyOptions, VerifyResult } from './types.js';

const CHUNK_BYTES = 16 << 20;
/** Chunks of {@link verifyJournalYielding}: small, so each turn of the event loop stays short. */
const YIELDING_CHUNK_BYTES = 1 << 20;
const PROGRESS_EVERY = 10_000;

/**
 * Re-reads every segment and checks, for the first `visible` events, the frame CRCs, that positions
 * and stream versions are dense, that each event's hash matches its header, payload and previous
 * hash, and that each `prevHash` is the hash of the stream's event before it.
 */
export function verifyJournal(dir: string, visible: number, options: VerifyOptions): VerifyResult {
  const steps = verifySteps(dir, visible, options, CHUNK_BYTES);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** {@link verifyJournal}, giving the event loop a turn after each megabyte read. */
export async function verifyJournalYielding(
  dir: string,
  visible: number,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const steps = verifySteps(dir, visible, options, YIELDING_CHUNK_BYTES);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The verification, one chunk of a segment per step. */
function* verifySteps(
  dir: string,
  visible: number,
  options: VerifyOptions,
  minChunkBytes: number,
): Generator<void, VerifyResult> {
  const chain = new ChainChecker();
  let firstBreak: ChainBreak | null = null;
  const progress = options.onProgress;

  for (const segment of listSegments(dir)) {
    if (chain.checked >= visible || firstBreak) break;
    const file = segmentPath(dir, segment);
    const fd = io('open segment', file, () => fs.openSync(file, 'r'));
    try {
      let size = fs.fstatSync(fd).size;
      let read = SEGMENT_HEADER_BYTES;
      let chunkBytes = minChunkBytes;
      const broke = (
        reason: ChainBreak['reason'],
        offset: number,
        message: string,
        e?: { entity: string; streamVersion: number; position: number },
      ) => {
        firstBreak = {
          reason,
          entity: e?.entity ?? null,
          streamVersion: e?.streamVersion ?? null,
          position: e?.position ?? null,
          segment,
          offset,
          message,
        };
        throw STOP;
      };
      try {
        while (read < size && chain.checked < visible) {
          const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, size - read));
          const n = fs.readSync(fd, chunk, 0, chunk.length, read);
          // A writer sealing the segment trims its zero-filled tail: what was read is all there is.
          if (n < chunk.length) size = read + n;
          const { next, stop, needBytes } = scanFrames(chunk.subarray(0, n), read, size, (body, offset) => {
            if (chain.checked >= visible) throw STOP;
            const decoded = decodeFrameBody(body);
            if (typeof decoded === 'string') broke('corrupt-frame', offset, decoded);
            else if (decoded.kind === FrameKind.Event) {
              const misfit = chain.check(decoded.event);
              if (misfit) broke(misfit.reason, offset, misfit.message, decoded.event);
              if (progress && chain.checked % PROGRESS_EVERY === 0) progress(chain.checked, visible);
            }
          });
          // Past the last visible event lies zero-filled space or a write in progress, not damage.
          if (stop && chain.checked < visible) broke('corrupt-frame', stop.offset, stop.reason);
          if (stop) break;
          chunkBytes = Math.max(minChunkBytes, needBytes);
          read = next;
          yield;
        }
      } catch (err) {
        if (err !== STOP) throw err;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  const checked = chain.checked;
  if (!firstBreak && checked < visible) {
    firstBreak = {
      reason: 'corrupt-frame',
      entity: null,
      streamVersion: null,
      position: checked + 1,
      segment: 0,
      offset: 0,
      message: `only ${checked} of ${visible} events found`,
    };
  }
  progress?.(checked, visible);
  return { ok: firstBreak === null, events: checked, streams: chain.streams, firstBreak };
}

const STOP = Symbol('stop');

/** The chain break a {@link CorruptData} error stands for: the journal cannot be read past it. */
export function breakOf(err: CorruptData): ChainBreak {
  const {
    segment = 0,
    offset = 0,
    reason,
  } = err.details as { segment?: number; offset?: number; reason: string };
  return {
    reason: 'corrupt-frame',
    entity: null,
    streamVersion: null,
    position: null,
    segment,
    offset,
    message: reason,
  };
}
