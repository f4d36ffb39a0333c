/** The shared 1,000,000-event journal of the open, read and index cases, built once per run. */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { open } from '../../src/index.js';
import { progress } from '../report.js';
import { benchDir, EVENT_TYPE, payload, streams } from '../workload.js';

export const EVENTS = 1_000_000;
export const STREAMS = 1000;
const BATCH = 1000;

let built: string | undefined;

/**
 * A journal of 1M events over 1,000 streams (~100-byte payloads), closed, so it ends with a snapshot.
 * Events go round-robin over the streams, so each stream holds 1,000 events spread over the journal.
 */
export async function journal1m(): Promise<string> {
  if (built) return built;
  const dir = benchDir('1m');
  const coords = streams(STREAMS);
  const start = performance.now();
  // Only the snapshot written by close: periodic ones would only slow the build down.
  const journal = open(dir, { snapshotEveryEvents: 0 });
  for (let b = 0; b < EVENTS / BATCH; b++) {
    journal.appendBatch(
      Array.from({ length: BATCH }, (_, k) => {
        const i = b * BATCH + k;
        return {
          coordinate: coords[i % STREAMS],
          event: { type: i % 10 === 0 ? 'OrderPaid' : EVENT_TYPE, data: payload(i) },
        };
      }),
    );
    await nextTurn(); // lets Ctrl-C in, to clean up
  }
  journal.close();
  const s = (performance.now() - start) / 1000;
  progress(`built a journal of ${EVENTS} events in ${s.toFixed(1)} s (${Math.round(EVENTS / s)} events/s)`);
  built = dir;
  return dir;
}
