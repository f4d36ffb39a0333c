import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CausewayError, coordinate, open } from '../../src/index.js';
import { type SmallDisk, smallDisk } from '../small-disk.js';

const c = coordinate('acct:1', 'bank');
const disks: SmallDisk[] = [];
afterEach(() => {
  for (const d of disks.splice(0)) d.unmount();
});

/** A tmpfs of `mib` MiB, or null (the test is skipped) where mounting is not allowed. */
function disk(mib: number): SmallDisk | null {
  const d = smallDisk(mib << 20);
  if (d) disks.push(d);
  return d;
}

const payload = (i: number) => ({ i, pad: 'x'.repeat(1000) });

describe('a full disk', () => {
  it('appends use the space there is, then fail with IoError and change nothing', (ctx) => {
    const d = disk(8);
    if (!d) return ctx.skip();
    const dir = path.join(d.dir, 'journal');
    const journal = open(dir, { fsyncIntervalMs: 0 });
    d.fill(1 << 20); // less than the 4 MiB the segment grows by
    let appended = 0;
    let failure: unknown;
    for (; appended < 5000; appended++) {
      try {
        journal.append(c, { type: 'T', data: payload(appended) });
      } catch (err) {
        failure = err;
        break;
      }
    }
    expect(failure).toBeInstanceOf(CausewayError);
    expect(failure).toMatchObject({ code: 'IO_ERROR' });
    expect(appended).toBeGreaterThan(500); // about 1 MiB of 1 KiB events
    expect(journal.watermarks().visible).toBe(appended);
    // Once there is space again the same journal appends on.
    d.free();
    expect(journal.append(c, { type: 'T', data: 'after' }).position).toBe(appended + 1);
    journal.close();
    const again = open(dir);
    expect(again.verify()).toMatchObject({ ok: true, events: appended + 1 });
    again.close();
  });

  it('a journal reopens, reads and verifies on a disk with no space left', (ctx) => {
    const d = disk(8);
    if (!d) return ctx.skip();
    const dir = path.join(d.dir, 'journal');
    const journal = open(dir, { snapshotEveryEvents: 0 });
    for (let i = 0; i < 100; i++) journal.append(c, { type: 'T', data: payload(i) });
    journal.sync();
    d.fill(0);
    journal.close(); // the snapshot cannot be written; the segment is sealed
    d.fill(0); // sealing gave back the zero-filled space: take it too
    const again = open(dir);
    expect(again.readStream('acct:1')).toHaveLength(100);
    expect(again.verify()).toMatchObject({ ok: true, events: 100 });
    // What is left of the segment's last block takes a few events; then the disk is full.
    const more = () => {
      for (let i = 100; i < 200; i++) again.append(c, { type: 'T', data: payload(i) });
    };
    expect(more).toThrow(expect.objectContaining({ code: 'IO_ERROR' }));
    expect(again.verify().ok).toBe(true);
    again.close();
  });

  it('creating a journal on a full disk is an IoError, not a driver error', (ctx) => {
    const d = disk(4);
    if (!d) return ctx.skip();
    d.fill(0);
    let error: unknown;
    try {
      open(path.join(d.dir, 'new-journal')).close();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CausewayError);
    expect(error).toMatchObject({ code: 'IO_ERROR' });
    expect(fs.existsSync(path.join(d.dir, 'new-journal', 'writer.holder'))).toBe(false);
  });
});
