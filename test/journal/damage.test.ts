import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CausewayError, coordinate, type Journal, open, openReadOnly } from '../../src/index.js';
import { pack } from '../../src/journal/codec.js';
import { frameOf } from '../../src/journal/storage/frame.js';
import { tempDir } from '../helpers.js';
import { frameOffsets, seg, tamper } from './segment-files.js';

const c = coordinate('acct:1', 'bank');
const snap = (dir: string) => path.join(dir, 'index.snap');

/** A closed journal of `n` events (with a snapshot), and what was appended. */
function build(n: number, options = {}) {
  const dir = tempDir();
  const j = open(dir, options);
  const receipts = Array.from({ length: n }, (_, i) =>
    j.append(c, { type: 'T', data: { i, text: `event number ${i}` } }),
  );
  j.close();
  return { dir, receipts };
}

function flip(file: string, offset: number): void {
  const buf = fs.readFileSync(file);
  buf[offset] ^= 0x5a;
  fs.writeFileSync(file, buf);
}

/** Both ways of opening refuse the journal as damaged at `offset`, and neither changes the file. */
function expectCorruptAt(dir: string, offset: number): void {
  const before = fs.readFileSync(seg(dir));
  const corrupt = expect.objectContaining({
    code: 'CORRUPT_DATA',
    details: expect.objectContaining({ offset }),
  });
  expect(() => openReadOnly(dir)).toThrow(corrupt);
  expect(() => open(dir)).toThrow(corrupt);
  expect(fs.readFileSync(seg(dir)).equals(before)).toBe(true);
}

function withJournal<T>(dir: string, fn: (j: Journal) => T): T {
  const j = open(dir);
  try {
    return fn(j);
  } finally {
    j.close();
  }
}

describe('damaged segments', () => {
  it('a flipped byte mid-segment fails a rebuild with CorruptData naming segment and offset', () => {
    const { dir } = build(20);
    fs.rmSync(snap(dir));
    const frames = frameOffsets(seg(dir));
    flip(seg(dir), frames[10] + 20);
    expect(() => open(dir)).toThrow(
      expect.objectContaining({
        code: 'CORRUPT_DATA',
        details: expect.objectContaining({ segment: 1, offset: frames[10] }),
      }),
    );
  });

  it('damage behind a snapshot is reported when read and by verify, never returned as data', () => {
    const { dir, receipts } = build(20);
    const frames = frameOffsets(seg(dir));
    flip(seg(dir), frames[10] + 30);
    withJournal(dir, (j) => {
      expect(j.openReport().path).toBe('snapshot');
      expect(() => j.get(receipts[10].id)).toThrow(
        expect.objectContaining({
          code: 'CORRUPT_DATA',
          details: expect.objectContaining({ offset: frames[10] }),
        }),
      );
      expect(j.get(receipts[9].id)!.data).toEqual({ i: 9, text: 'event number 9' });
      expect(j.verify()).toMatchObject({
        ok: false,
        events: 10,
        firstBreak: { reason: 'corrupt-frame', segment: 1, offset: frames[10] },
      });
    });
  });

  it('a damaged length field mid-segment is corruption, not a torn tail', () => {
    const { dir } = build(30);
    fs.rmSync(snap(dir));
    const frames = frameOffsets(seg(dir));
    const buf = fs.readFileSync(seg(dir));
    buf.writeUInt32LE(1 << 20, frames[8]); // the frame now claims to run past the end of the file
    fs.writeFileSync(seg(dir), buf);
    expect(() => open(dir)).toThrow(
      expect.objectContaining({
        code: 'CORRUPT_DATA',
        details: expect.objectContaining({ offset: frames[8] }),
      }),
    );
    expect(fs.statSync(seg(dir)).size).toBe(buf.length);
  });

  it.each([
    ['caller extensions', { extensions: { 'shop.channel': 'web' } }],
    ['a bypass', { bypass: { name: 'migration', justification: 'backfill' } }],
  ])(
    'a damaged length field followed by events carrying %s is corruption, not a torn tail',
    (_name, extra) => {
      const dir = tempDir();
      const j = open(dir);
      for (let i = 0; i < 5; i++) j.append(c, { type: 'Plain', data: { i } }, { durable: true });
      for (let i = 0; i < 15; i++)
        j.append(c, { type: 'Extended', data: { i } }, { durable: true, ...extra });
      j.close();
      fs.rmSync(snap(dir));
      const frames = frameOffsets(seg(dir));
      const before = fs.readFileSync(seg(dir));
      const buf = Buffer.from(before);
      buf.writeUInt32LE(0x00ffffff, frames[4]);
      fs.writeFileSync(seg(dir), buf);
      expect(() => open(dir)).toThrow(
        expect.objectContaining({
          code: 'CORRUPT_DATA',
          details: expect.objectContaining({ offset: frames[4] }),
        }),
      );
      expect(fs.readFileSync(seg(dir)).equals(buf)).toBe(true);
    },
  );

  it('a damaged length field followed by a frame of a shape this version does not know is still corruption', () => {
    const { dir } = build(6);
    fs.rmSync(snap(dir));
    const frames = frameOffsets(seg(dir));
    // A frame a later format might write: an event array with more fields than today's.
    const future = frameOf(pack([1, ...Array.from({ length: 24 }, (_, i) => i)]));
    const buf = Buffer.concat([fs.readFileSync(seg(dir)), future]);
    buf.writeUInt32LE(0x00ffffff, frames[5]); // the last of today's frames, so only the new one follows
    fs.writeFileSync(seg(dir), buf);
    expect(() => open(dir)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
    expect(fs.statSync(seg(dir)).size).toBe(buf.length);
  });

  it.each([
    ['inside the zero-filled space after the data', 'zeros'],
    ['exactly at the end of the file', 'end'],
  ])('a damaged length field whose frame would end %s is corruption', (_name, where) => {
    const { dir } = build(20);
    fs.rmSync(snap(dir));
    const file = seg(dir);
    if (where === 'zeros') fs.appendFileSync(file, Buffer.alloc(256 << 10)); // as a running writer leaves it
    const frames = frameOffsets(file).slice(0, 20);
    const buf = fs.readFileSync(file);
    const at = frames[where === 'zeros' ? 10 : 17];
    buf.writeUInt32LE(where === 'zeros' ? buf.readUInt32LE(at) + 65536 : buf.length - at - 8, at);
    fs.writeFileSync(file, buf);
    expectCorruptAt(dir, at);
  });

  it('a damaged length field of a batch marker after the snapshot is corruption', () => {
    const dir = tempDir();
    const j = open(dir);
    for (let i = 0; i < 10; i++) j.append(c, { type: 'T', data: { i } });
    j.snapshot();
    const older = fs.readFileSync(snap(dir));
    for (let b = 0; b < 3; b++)
      j.appendBatch(
        Array.from({ length: 4 }, (_, i) => ({ coordinate: c, event: { type: 'B', data: { b, i } } })),
      );
    j.close();
    fs.writeFileSync(snap(dir), older); // the snapshot covers the first 10 events; the batches follow it
    const file = seg(dir);
    fs.appendFileSync(file, Buffer.alloc(256 << 10));
    const begin = frameOffsets(file)[16]; // the second batch's begin marker
    const buf = fs.readFileSync(file);
    expect(buf.readUInt32LE(begin)).toBe(3);
    buf.writeUInt32LE(3 + 65536, begin);
    fs.writeFileSync(file, buf);
    expectCorruptAt(dir, begin);
  });

  it.each([
    ['a closed journal', false],
    ['a running journal (zero-filled tail)', true],
  ])(
    'garbage at a frame start that looks like a frame running past the end is corruption, in %s',
    (_n, running) => {
      const { dir } = build(20);
      fs.rmSync(snap(dir));
      const file = seg(dir);
      if (running) fs.appendFileSync(file, Buffer.alloc(64 << 10));
      const at = frameOffsets(file)[10];
      const buf = fs.readFileSync(file);
      // A huge length, a wrong CRC, then an array of a frame kind and a byte string claiming 2 GiB.
      Buffer.from('12345678deadbeef9201c67fffffff00', 'hex').copy(buf, at);
      fs.writeFileSync(file, buf);
      expectCorruptAt(dir, at);
    },
  );

  it('a torn last frame whose payload holds the bytes of a whole frame is still a torn write', () => {
    const dir = tempDir();
    const j = open(dir);
    for (let i = 0; i < 4; i++) j.append(c, { type: 'T', data: { i } });
    j.close();
    const file = seg(dir);
    const first = frameOffsets(file)[0];
    const archived = fs.readFileSync(file).subarray(first, frameOffsets(file)[1]);
    const k = open(dir);
    k.append(c, { type: 'Archive', data: { archived, tail: 'x'.repeat(400) } });
    k.close();
    fs.rmSync(snap(dir));
    const last = frameOffsets(file).at(-1)!;
    const cut = fs.statSync(file).size - 150; // after the embedded frame
    fs.truncateSync(file, cut);
    withJournal(dir, (r) => expect(r.openReport()).toMatchObject({ events: 4, truncatedBytes: cut - last }));
    expect(fs.statSync(file).size).toBe(last);
  });

  it('damage past the index snapshot is CorruptData for a read-only open too, and verify never says intact', () => {
    const { dir } = build(14);
    const older = fs.readFileSync(snap(dir));
    withJournal(dir, (j) => {
      for (let i = 14; i < 20; i++) j.append(c, { type: 'T', data: { i, text: `event number ${i}` } });
    });
    fs.writeFileSync(snap(dir), older); // the snapshot covers 14 events; six follow it
    const frames = frameOffsets(seg(dir));
    flip(seg(dir), frames[16] + 30);
    const corrupt = expect.objectContaining({
      code: 'CORRUPT_DATA',
      details: expect.objectContaining({ segment: 1, offset: frames[16] }),
    });
    expect(() => open(dir)).toThrow(corrupt);
    expect(() => openReadOnly(dir)).toThrow(corrupt);
  });

  it('a read-only reader that meets damage later reports it on catchUp', () => {
    const { dir } = build(10);
    const reader = openReadOnly(dir);
    try {
      withJournal(dir, (j) => {
        for (let i = 10; i < 16; i++) j.append(c, { type: 'T', data: { i, text: `event number ${i}` } });
      });
      flip(seg(dir), frameOffsets(seg(dir))[12] + 30);
      expect(() => reader.catchUp()).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
      expect(reader.verify().ok).toBe(false);
    } finally {
      reader.close();
    }
  });

  it('a torn last frame is cut off at every possible length and appending goes on', () => {
    const { dir } = build(5);
    fs.rmSync(snap(dir));
    const file = seg(dir);
    const size = fs.statSync(file).size;
    const last = frameOffsets(file).at(-1)!;
    const original = fs.readFileSync(file);
    for (let cut = last + 1; cut < size; cut += 7) {
      fs.writeFileSync(file, original.subarray(0, cut));
      withJournal(dir, (j) => {
        expect(j.openReport()).toMatchObject({ truncatedBytes: cut - last, events: 4 });
        expect(j.readStream('acct:1').map((e) => (e.data as { i: number }).i)).toEqual([0, 1, 2, 3]);
      });
      expect(fs.statSync(file).size).toBe(last);
    }
    withJournal(dir, (j) => {
      expect(j.append(c, { type: 'T', data: 'again' })).toMatchObject({ position: 5, streamVersion: 4 });
      expect(j.verify().ok).toBe(true);
    });
  });

  it('a batch without its commit is discarded whole and reported', () => {
    const dir = tempDir();
    const j = open(dir);
    j.append(c, { type: 'Before', data: 0 });
    j.appendBatch(
      Array.from({ length: 4 }, (_, i) => ({ coordinate: c, event: { type: 'InBatch', data: i } })),
    );
    j.close();
    fs.rmSync(snap(dir));
    const frames = frameOffsets(seg(dir));
    // frames: event, begin, 4 events, commit. Cut inside the batch at several places.
    for (const cut of [frames[2], frames[4] + 3, frames[6]]) {
      const copy = tempDir();
      fs.writeFileSync(seg(copy), fs.readFileSync(seg(dir)).subarray(0, cut));
      withJournal(copy, (k) => {
        expect(k.readAll().events.map((e) => e.type)).toEqual(['Before']);
        expect(k.openReport().truncatedBytes).toBe(cut - frames[1]);
        expect(k.openReport().discardedBatchEvents).toBe(cut === frames[6] ? 4 : cut === frames[2] ? 0 : 2);
      });
    }
  });

  it('zero bytes after the data are free space (as a crash leaves the zero-filled tail), not a torn write', () => {
    const { dir, receipts } = build(3);
    fs.rmSync(snap(dir));
    fs.appendFileSync(seg(dir), Buffer.alloc(4096));
    withJournal(dir, (j) => {
      expect(j.openReport().truncatedBytes).toBe(0);
      expect(j.readAll().events.map((e) => e.id)).toEqual(receipts.map((r) => r.id));
      j.append(c, { type: 'T', data: 'written over the zeros' });
    });
    withJournal(dir, (j) => expect(j.verify()).toMatchObject({ ok: true, events: 4 }));
  });

  it('a torn write followed by zero-filled space is cut off', () => {
    const { dir, receipts } = build(3);
    fs.rmSync(snap(dir));
    const torn = Buffer.alloc(4096);
    torn.writeUInt32LE(40, 0); // a frame header whose body never made it
    torn.fill(7, 8, 20);
    fs.appendFileSync(seg(dir), torn);
    withJournal(dir, (j) => {
      expect(j.openReport().truncatedBytes).toBe(48);
      expect(j.readAll().events.map((e) => e.id)).toEqual(receipts.map((r) => r.id));
    });
  });

  it('data after a zero header is damage, not free space', () => {
    const { dir } = build(3);
    fs.rmSync(snap(dir));
    const tail = Buffer.alloc(64);
    tail[40] = 1;
    fs.appendFileSync(seg(dir), tail);
    expect(() => open(dir)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
  });

  it.each([
    ['random garbage', Buffer.from('d1e2a3d4b5e6e7f8a9aabbccddeeff00112233', 'hex')],
    ['a lone length header', Buffer.from([9, 0, 0, 0])],
  ])('%s appended at the end is cut off as a torn write', (_name, tail) => {
    const { dir, receipts } = build(3);
    fs.rmSync(snap(dir));
    fs.appendFileSync(seg(dir), tail);
    withJournal(dir, (j) => {
      expect(j.openReport().truncatedBytes).toBe(tail.length);
      expect(j.readAll().events.map((e) => e.id)).toEqual(receipts.map((r) => r.id));
    });
  });

  it('a damaged segment header is CorruptData at offset 0', () => {
    const { dir } = build(3);
    flip(seg(dir), 2);
    expect(() => open(dir)).toThrow(
      expect.objectContaining({
        code: 'CORRUPT_DATA',
        details: expect.objectContaining({ segment: 1, offset: 0 }),
      }),
    );
  });

  it('damage in an earlier segment is never taken for a torn tail', () => {
    const { dir } = build(300, { segmentMaxBytes: 4096 });
    fs.rmSync(snap(dir));
    const frames = frameOffsets(seg(dir, 1));
    // Truncating a sealed segment is damage too, not a torn write.
    fs.truncateSync(seg(dir, 1), frames.at(-1)! + 5);
    expect(() => open(dir)).toThrow(
      expect.objectContaining({ code: 'CORRUPT_DATA', details: expect.objectContaining({ segment: 1 }) }),
    );
  });

  it('random byte flips never turn into wrong data', () => {
    const { dir, receipts } = build(30);
    const file = seg(dir);
    const original = fs.readFileSync(file);
    const snapshot = fs.readFileSync(snap(dir));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: original.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        (at, mask, keepSnapshot) => {
          const damaged = Buffer.from(original);
          damaged[at] ^= mask;
          fs.writeFileSync(file, damaged);
          if (keepSnapshot) fs.writeFileSync(snap(dir), snapshot);
          else fs.rmSync(snap(dir), { force: true });
          let j: Journal;
          try {
            j = open(dir);
          } catch (err) {
            expect(err).toBeInstanceOf(CausewayError);
            expect((err as CausewayError).code).toBe('CORRUPT_DATA');
            return;
          }
          try {
            for (const r of receipts) {
              try {
                const e = j.get(r.id);
                // Cut off as a torn tail (the last event only) or read back exactly.
                if (e === undefined) expect(r.position).toBe(30);
                else
                  expect(e).toMatchObject({
                    id: r.id,
                    position: r.position,
                    hash: r.hash,
                    data: { i: r.position - 1 },
                  });
              } catch (err) {
                expect((err as CausewayError).code).toBe('CORRUPT_DATA');
              }
            }
            const v = j.verify();
            if (!v.ok) expect(v.firstBreak).not.toBeNull();
          } finally {
            j.close();
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('damaged snapshots', () => {
  const cases: [string, (file: string) => void, RegExp][] = [
    ['a flipped byte', (f) => flip(f, Math.floor(fs.statSync(f).size / 2)), /CRC/],
    ['truncation', (f) => fs.truncateSync(f, fs.statSync(f).size - 9), /CRC|truncated/],
    [
      'an unknown format version',
      (f) => {
        const b = fs.readFileSync(f);
        b.writeUInt32LE(99, 8);
        fs.writeFileSync(f, b);
      },
      /version/,
    ],
    ['garbage', (f) => fs.writeFileSync(f, 'not a snapshot'), /magic/],
  ];
  for (const [name, damage, reason] of cases) {
    it(`${name} leads to a rebuild with the same data`, () => {
      const { dir, receipts } = build(40);
      damage(snap(dir));
      withJournal(dir, (j) => {
        expect(j.openReport()).toMatchObject({ path: 'rebuild', events: 40 });
        expect(j.openReport().snapshotRejected).toMatch(reason);
        expect(j.readAll().events.map((e) => e.id)).toEqual(receipts.map((r) => r.id));
      });
    });
  }

  it('an older snapshot is used and the tail is scanned', () => {
    const { dir } = build(10);
    const older = fs.readFileSync(snap(dir));
    withJournal(dir, (j) => {
      for (let i = 0; i < 5; i++) j.append(c, { type: 'T', data: i });
    });
    fs.writeFileSync(snap(dir), older);
    withJournal(dir, (j) => {
      expect(j.openReport()).toMatchObject({ path: 'snapshot', eventsScanned: 5, events: 15 });
      expect(j.verify().ok).toBe(true);
    });
  });

  it("another journal's snapshot is rejected", () => {
    const a = build(10);
    const b = build(10);
    fs.copyFileSync(snap(a.dir), snap(b.dir));
    withJournal(b.dir, (j) => {
      expect(j.openReport().path).toBe('rebuild');
      expect(j.readAll().events.map((e) => e.id)).toEqual(b.receipts.map((r) => r.id));
    });
  });

  it('a whole last frame changed after it was written is CorruptData, not a torn write to cut away', () => {
    const { dir } = build(20);
    fs.rmSync(snap(dir)); // no snapshot: open scans to the end, as after a crash before the first one
    const offsets = frameOffsets(seg(dir));
    const last = offsets.at(-1)!;
    const bytes = fs.readFileSync(seg(dir));
    const at = bytes.indexOf('event number 19', last);
    expect(at).toBeGreaterThan(last);
    bytes[at] ^= 0x01; // one bit of the payload: no sector of the frame reads as zeros
    fs.writeFileSync(seg(dir), bytes);
    const before = fs.readFileSync(seg(dir));
    expect(() => open(dir)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
    expect(fs.readFileSync(seg(dir)).equals(before)).toBe(true);
  });

  it.each([
    ['emptied', 0],
    ['cut inside its header', 16],
    ['cut inside its first frame', 40],
  ])(
    'a journal whose only segment was %s, losing its first event, is CorruptData, not an empty journal',
    (_, size) => {
      const { dir } = build(5);
      fs.truncateSync(seg(dir), size);
      const lost = expect.objectContaining({
        code: 'CORRUPT_DATA',
        message: expect.stringMatching(/index\.snap/),
      });
      expect(() => openReadOnly(dir)).toThrow(lost);
      expect(() => open(dir)).toThrow(lost);
      expect(fs.statSync(seg(dir)).size).toBe(size);
    },
  );

  describe('a journal of several segments with its snapshot', () => {
    const several = () => build(60, { segmentMaxBytes: 4096 });
    const refused = (dir: string) => {
      const lost = expect.objectContaining({ code: 'CORRUPT_DATA' });
      expect(() => openReadOnly(dir)).toThrow(lost);
      expect(() => open(dir)).toThrow(lost);
    };

    it('is CorruptData when its first segment was deleted', () => {
      const { dir } = several();
      expect(fs.existsSync(seg(dir, 3))).toBe(true);
      fs.rmSync(seg(dir, 1));
      refused(dir);
    });

    it('is CorruptData when a middle segment was deleted or cut', () => {
      const a = several();
      fs.rmSync(seg(a.dir, 2));
      refused(a.dir);
      const b = several();
      fs.truncateSync(seg(b.dir, 2), frameOffsets(seg(b.dir, 2))[2]);
      refused(b.dir);
    });

    it("is CorruptData when its first segment was replaced by another journal's", () => {
      const { dir } = several();
      const other = several();
      fs.copyFileSync(seg(other.dir, 1), seg(dir, 1));
      refused(dir);
    });

    it('is CorruptData when every segment was deleted, and its snapshot is kept', () => {
      const { dir } = several();
      for (const f of fs.readdirSync(dir)) if (f.endsWith('.seg')) fs.rmSync(path.join(dir, f));
      refused(dir);
      expect(fs.existsSync(snap(dir))).toBe(true);
    });
  });

  it('a snapshot of this journal that covers events its segments no longer hold is CorruptData', () => {
    const { dir } = build(10);
    const last = frameOffsets(seg(dir)).at(-1)!;
    fs.truncateSync(seg(dir), last);
    const lost = expect.objectContaining({
      code: 'CORRUPT_DATA',
      message: expect.stringMatching(/index\.snap/),
    });
    expect(() => open(dir)).toThrow(lost);
    expect(() => openReadOnly(dir)).toThrow(lost);
    // Deleting the snapshot is how to accept what the segments hold.
    fs.rmSync(snap(dir));
    withJournal(dir, (j) => expect(j.openReport()).toMatchObject({ path: 'rebuild', events: 9 }));
  });

  it('a snapshot whose last segment is gone, or cut back to its header, is CorruptData', () => {
    const { dir } = build(300, { segmentMaxBytes: 4096 });
    const segments = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.seg'))
      .sort();
    const lastSeg = path.join(dir, segments.at(-1)!);
    const saved = fs.readFileSync(lastSeg);
    fs.truncateSync(lastSeg, 16);
    expect(() => open(dir)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
    fs.rmSync(lastSeg);
    expect(() => open(dir)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
    expect(() => openReadOnly(dir)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
    fs.writeFileSync(lastSeg, saved);
    withJournal(dir, (j) => expect(j.openReport()).toMatchObject({ path: 'snapshot', events: 300 }));
  });
});

describe('tampering', () => {
  it('a changed payload with a valid CRC is a hash mismatch at that event', () => {
    const { dir, receipts } = build(8);
    tamper(dir, 5, (r) => {
      r.data = pack({ i: 5, text: 'event number X' });
    });
    withJournal(dir, (j) => {
      expect(j.verify()).toMatchObject({
        ok: false,
        firstBreak: {
          reason: 'hash-mismatch',
          position: receipts[5].position,
          entity: 'acct:1',
          streamVersion: 5,
        },
      });
    });
  });

  it('a changed header field is a hash mismatch', () => {
    const { dir } = build(8);
    tamper(dir, 2, (r) => {
      r.timestamp += 1;
    });
    withJournal(dir, (j) =>
      expect(j.verify().firstBreak).toMatchObject({ reason: 'hash-mismatch', position: 3 }),
    );
  });

  it('a rewritten prevHash is a broken chain', () => {
    const { dir } = build(8);
    tamper(dir, 4, (r) => {
      r.prevHash = Buffer.alloc(32, 1);
    });
    withJournal(dir, (j) =>
      expect(j.verify().firstBreak).toMatchObject({ reason: 'prev-hash-mismatch', position: 5 }),
    );
  });
});
