import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Coordinate, coordinate } from '../src/index.js';

/** ~100 bytes of JSON-like data, different per event. */
export function payload(i: number): Record<string, unknown> {
  return {
    orderId: `order-${i}`,
    amount: (i % 1000) * 1.25,
    currency: 'EUR',
    items: ['sku-1', 'sku-2'],
    note: 'gift wrap, deliver after six',
  };
}

export const PAYLOAD_JSON_BYTES = JSON.stringify(payload(123456)).length;

export function streams(n: number): Coordinate[] {
  return Array.from({ length: n }, (_, i) => coordinate(`stream:${i}`, 'bench'));
}

const dirs: string[] = [];

/** A fresh directory under the OS temp dir, removed by {@link cleanup}. */
export function benchDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `causeway-bench-${name}-`));
  dirs.push(dir);
  return dir;
}

export function cleanup(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}
