/** What the cases write: payloads, streams, and the temporary directories they write in. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Coordinate, coordinate } from '../src/index.js';

/**
 * ~120 bytes as JSON (~105 as MessagePack), different per event; the journal and the baseline get the
 * same objects and each serializes them its own way.
 */
export function payload(i: number): Record<string, unknown> {
  return {
    orderId: `order-${i}`,
    amount: (i % 1000) * 1.25,
    currency: 'EUR',
    items: ['sku-1', 'sku-2'],
    note: 'gift wrap, deliver after six',
  };
}

export const EVENT_TYPE = 'OrderPlaced';

export const streamName = (i: number): string => `stream:${i}`;

export function streams(n: number): Coordinate[] {
  return Array.from({ length: n }, (_, i) => coordinate(streamName(i), 'bench'));
}

let root: string | undefined;

/** A fresh directory under one temporary root per run, removed by {@link cleanup}. */
export function benchDir(name: string): string {
  root ??= fs.mkdtempSync(path.join(os.tmpdir(), 'causeway-bench-'));
  return fs.mkdtempSync(path.join(root, `${name}-`));
}

/** Removes a directory before the run ends, when a case is done with a large one. */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export function cleanup(): void {
  if (root) removeDir(root);
  root = undefined;
}
