import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { type EventRecord, FrameKind } from '../../src/journal/codec.js';
import { decodeFrameBody, encodeEventFrame } from '../../src/journal/event-frame.js';

/** Path of segment `id` of the journal in `dir`. */
export const seg = (dir: string, id = 1): string => path.join(dir, `${String(id).padStart(8, '0')}.seg`);

/** Offsets of every frame in a segment file (after the 16-byte header). */
export function frameOffsets(file: string): number[] {
  const buf = fs.readFileSync(file);
  const out: number[] = [];
  for (let o = 16; o + 8 <= buf.length; o += 8 + buf.readUInt32LE(o)) out.push(o);
  return out;
}

/**
 * Rewrites frame `index` of the first segment (CRC recomputed, as a deliberate forger would) after
 * `change` edits its decoded record; the frame must keep its length.
 */
export function tamper(dir: string, index: number, change: (r: EventRecord) => void): void {
  const file = seg(dir);
  const buf = fs.readFileSync(file);
  const at = frameOffsets(file)[index];
  const len = buf.readUInt32LE(at);
  const d = decodeFrameBody(buf.subarray(at + 8, at + 8 + len));
  if (typeof d === 'string' || d.kind !== FrameKind.Event) throw new Error('not an event frame');
  change(d.event);
  const frame = encodeEventFrame(d.event);
  expect(frame.length).toBe(len + 8);
  frame.copy(buf, at);
  fs.writeFileSync(file, buf);
}
