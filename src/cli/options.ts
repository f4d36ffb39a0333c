import { InvalidArgumentError } from 'commander';
import type { Region } from '../journal/index.js';
import { MAX_TIMER_MS } from '../validation.js';

/** How `--region` is written, for help texts. */
export const REGION_SYNTAX = 'prefix=<entity prefix>,scope=<scope>,types=<A|B>,from=<position>,to=<position>';

/** Parses `--region` (comma-separated `key=value`; any subset) into a region. */
export function parseRegion(spec: string): Region {
  const region: Region = {};
  for (const part of spec.split(',').filter((p) => p.length > 0)) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq < 1 || value === '') throw new InvalidArgumentError(`expected ${REGION_SYNTAX}`);
    if (key === 'prefix') region.entityPrefix = value;
    else if (key === 'scope') region.scope = value;
    else if (key === 'types') region.types = value.split('|');
    else if (key === 'from' || key === 'to') {
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${key} must be a position`);
      if (key === 'from') region.fromPosition = n;
      else region.toPosition = n;
    } else throw new InvalidArgumentError(`unknown region key ${key}; expected ${REGION_SYNTAX}`);
  }
  return region;
}

/** Parses a non-negative integer option (a count, a position, milliseconds). */
export function parseCount(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** Parses a TCP port option (0: any free port). */
export function parsePort(value: string): number {
  const n = parseCount(value);
  if (n > 65_535) throw new InvalidArgumentError('expected a port from 0 to 65535');
  return n;
}

/** Parses a positive integer option. */
export function parsePositive(value: string): number {
  const n = parseCount(value);
  if (n === 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** A duration in milliseconds that a timer can wait: 1 to 2^31-1 (about 24.8 days). */
export function parseTimerMs(value: string): number {
  const n = parsePositive(value);
  if (n > MAX_TIMER_MS) throw new InvalidArgumentError(`expected at most ${MAX_TIMER_MS} ms`);
  return n;
}
