import { CausewayError } from '../errors.js';
import type { ChainBreak, StoredEvent } from '../journal/index.js';
import { journalJson } from '../journal/json.js';

/**
 * An error as one line, `CODE: message`: Causeway's own code (what to search for), `IO_ERROR` for a
 * failed system call, else `UNEXPECTED` (a defect: CAUSEWAY_DEBUG=1 prints its stack).
 */
export function describeError(err: unknown): string {
  if (err instanceof CausewayError) return `${err.code}: ${err.message}`;
  const e = err as NodeJS.ErrnoException;
  if (err instanceof Error && typeof e.syscall === 'string') return `IO_ERROR: ${err.message}`;
  return `UNEXPECTED: ${err instanceof Error ? err.message : String(err)}`;
}

/** JSON that survives what MessagePack payloads may hold: bigints as strings, bytes as base64. */
export const toJson = journalJson;

/** One event as a line: position, time, stream and version, type, data. */
export function eventLine(e: StoredEvent): string {
  return `${String(e.position).padStart(6)}  ${new Date(e.timestamp).toISOString()}  ${e.entity}@${e.streamVersion}  ${e.type}  ${toJson(e.data)}`;
}

/** Bytes for people. */
export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Milliseconds for people. */
export function humanMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** Rows as aligned columns under a header. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Where and how a hash chain broke, as one line. */
export function describeBreak(b: ChainBreak): string {
  const where =
    b.entity === null ? '' : ` in ${b.entity} version ${b.streamVersion} (position ${b.position})`;
  return `${b.reason}${where} at segment ${b.segment} offset ${b.offset}: ${b.message}`;
}
