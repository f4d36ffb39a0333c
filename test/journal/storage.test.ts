import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coordinate, open, openReadOnly } from '../../src/index.js';
import { freshJournal, recordingLogger, tempDir, track } from '../helpers.js';

const c = coordinate('acct:1', 'bank');
const segmentsOf = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.seg'))
    .sort();

describe('segments and snapshots', () => {
  it('rotates to a new segment at the configured size and reads across segments', () => {
    const { journal, dir } = freshJournal({ segmentMaxBytes: 4096 });
    for (let i = 0; i < 200; i++) journal.append(c, { type: 'T', data: { i, pad: 'x'.repeat(50) } });
    expect(segmentsOf(dir).length).toBeGreaterThan(3);
    for (const f of segmentsOf(dir).slice(0, -1))
      expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(4096);
    expect(journal.readStream('acct:1').map((e) => (e.data as { i: number }).i)).toEqual(
      Array.from({ length: 200 }, (_, i) => i),
    );
    expect(journal.stats().segments).toBe(segmentsOf(dir).length);
    expect(journal.verify()).toMatchObject({ ok: true, events: 200 });
  });

  it('reopening continues the active segment instead of starting a file per open', () => {
    const dir = tempDir();
    for (let round = 0; round < 5; round++) {
      const j = open(dir);
      j.append(c, { type: 'T', data: round });
      j.close();
    }
    expect(segmentsOf(dir)).toEqual(['00000001.seg']);
    const j = track(open(dir));
    expect(j.readStream('acct:1').map((e) => e.data)).toEqual([0, 1, 2, 3, 4]);
  });

  it('zero-fills ahead of the data while open and trims segments to their data when sealed', () => {
    const { journal, dir } = freshJournal({ segmentMaxBytes: 64 << 10 });
    journal.append(c, { type: 'T', data: 1 });
    const file = path.join(dir, '00000001.seg');
    expect(fs.statSync(file).size).toBe(16 + (64 << 10)); // header plus one zero-filled step
    for (let i = 0; i < 400; i++) journal.append(c, { type: 'T', data: { i, pad: 'z'.repeat(200) } });
    const sealed = segmentsOf(dir).slice(0, -1);
    expect(sealed.length).toBeGreaterThan(0);
    for (const f of sealed) expect(fs.readFileSync(path.join(dir, f)).at(-1)).not.toBe(0);
    journal.close();
    for (const f of segmentsOf(dir)) expect(fs.readFileSync(path.join(dir, f)).at(-1)).not.toBe(0);
    expect(track(open(dir)).openReport()).toMatchObject({ truncatedBytes: 0, events: 401 });
  });

  it('segment files start with a magic and version header', () => {
    const { journal, dir } = freshJournal();
    journal.append(c, { type: 'T', data: 1 });
    const head = fs.readFileSync(path.join(dir, '00000001.seg')).subarray(0, 8);
    expect(head.subarray(0, 6).toString()).toBe('CWJSEG');
    expect(head.readUInt16LE(6)).toBe(1);
  });

  it('opens from the snapshot written on close and scans only the tail', () => {
    const { journal, dir } = freshJournal();
    for (let i = 0; i < 50; i++) journal.append(c, { type: 'T', data: i });
    journal.close();
    const j = open(dir);
    expect(j.openReport()).toMatchObject({
      path: 'snapshot',
      eventsScanned: 0,
      events: 50,
      snapshotRejected: null,
    });
    for (let i = 0; i < 5; i++) j.append(c, { type: 'T', data: i });
    // Simulate a crash after more appends: no snapshot on close.
    fs.copyFileSync(path.join(dir, 'index.snap'), path.join(dir, 'index.snap.keep'));
    j.close();
    fs.renameSync(path.join(dir, 'index.snap.keep'), path.join(dir, 'index.snap'));
    const k = track(open(dir));
    expect(k.openReport()).toMatchObject({ path: 'snapshot', eventsScanned: 5, events: 55 });
    expect(k.readAll({ limit: 100 }).events).toHaveLength(55);
  });

  it('writes periodic snapshots after the configured number of events', async () => {
    const { journal, dir } = freshJournal({ snapshotEveryEvents: 20 });
    for (let i = 0; i < 25; i++) journal.append(c, { type: 'T', data: i });
    await new Promise((r) => setImmediate(r));
    expect(fs.existsSync(path.join(dir, 'index.snap'))).toBe(true);
  });

  it('a background snapshot that cannot be written is logged and retried; appends go on', async () => {
    const { logger, warnings } = recordingLogger();
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'index.snap.tmp')); // the snapshot's temporary file cannot be created
    const journal = track(open(dir, { snapshotEveryEvents: 20, logger }));
    for (let i = 0; i < 25; i++) journal.append(c, { type: 'T', data: i });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(journal.stats().snapshot).toMatchObject({
      failures: 1,
      lastError: expect.stringContaining('index.snap.tmp'),
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0].obj).toMatchObject({ err: expect.objectContaining({ code: 'IO_ERROR' }) });
    // Appends go on, and no retry is attempted at once.
    for (let i = 0; i < 25; i++) journal.append(c, { type: 'T', data: i });
    await new Promise((r) => setImmediate(r));
    expect(warnings).toHaveLength(1);
    fs.rmdirSync(path.join(dir, 'index.snap.tmp'));
    await new Promise((r) => setTimeout(r, 1100));
    journal.append(c, { type: 'T', data: 'after the back-off' });
    await new Promise((r) => setImmediate(r));
    expect(fs.existsSync(path.join(dir, 'index.snap'))).toBe(true);
    expect(journal.stats().snapshot).toMatchObject({ failures: 1, lastError: null, events: 51 });
  });

  it('a snapshot that fails on close is logged; the journal closes and reopens from its segments', () => {
    const { logger, warnings } = recordingLogger();
    const dir = tempDir();
    const journal = open(dir, { logger });
    for (let i = 0; i < 5; i++) journal.append(c, { type: 'T', data: i });
    fs.mkdirSync(path.join(dir, 'index.snap.tmp'));
    journal.close();
    expect(warnings).toHaveLength(1);
    fs.rmdirSync(path.join(dir, 'index.snap.tmp'));
    const again = track(open(dir));
    expect(again.openReport()).toMatchObject({ path: 'rebuild', events: 5 });
  });

  it('rebuilds when the snapshot is missing and reports why', () => {
    const { journal, dir } = freshJournal();
    journal.append(c, { type: 'T', data: 1 });
    journal.close();
    fs.rmSync(path.join(dir, 'index.snap'));
    const j = track(open(dir));
    expect(j.openReport()).toMatchObject({
      path: 'rebuild',
      snapshotRejected: 'no snapshot',
      eventsScanned: 1,
      events: 1,
    });
  });

  it('reports counts, bytes and index memory', () => {
    const { journal, dir } = freshJournal();
    journal.append(c, { type: 'T', data: 1 });
    journal.append(coordinate('acct:2', 'bank'), { type: 'T', data: 1 });
    const s = journal.stats();
    expect(s).toMatchObject({ events: 2, streams: 2, segments: 1 });
    expect(s.bytes).toBe(fs.statSync(path.join(dir, '00000001.seg')).size);
    expect(s.indexBytes).toBeGreaterThan(0);
  });
});

describe('writer lock', () => {
  it('lets one writer per directory and names the holder', () => {
    const { dir } = freshJournal();
    expect(() => open(dir)).toThrow(
      expect.objectContaining({
        code: 'JOURNAL_LOCKED',
        holder: expect.stringContaining(`pid ${process.pid}`),
      }),
    );
  });

  it('is released by close', () => {
    const { journal, dir } = freshJournal();
    journal.close();
    track(open(dir));
  });
});

describe('read-only journals', () => {
  it('open beside the writer, see a consistent prefix and catch up', () => {
    const { journal, dir } = freshJournal();
    journal.append(c, { type: 'T', data: 1 });
    const reader = track(openReadOnly(dir));
    expect(reader.readOnly).toBe(true);
    expect(reader.watermarks().visible).toBe(1);
    journal.appendBatch([
      { coordinate: c, event: { type: 'T', data: 2 } },
      { coordinate: c, event: { type: 'T', data: 3 } },
    ]);
    expect(reader.readAll().events).toHaveLength(1);
    expect(reader.catchUp()).toBe(3);
    expect(reader.readStream('acct:1').map((e) => e.data)).toEqual([1, 2, 3]);
  });

  it('follow rotations of the writer', () => {
    const { journal, dir } = freshJournal({ segmentMaxBytes: 4096 });
    const reader = track(openReadOnly(dir));
    for (let i = 0; i < 100; i++) journal.append(c, { type: 'T', data: { i, pad: 'y'.repeat(60) } });
    expect(reader.catchUp()).toBe(100);
    expect(reader.verify().ok).toBe(true);
  });

  it('ignore a batch that is still being written', () => {
    const { journal, dir } = freshJournal();
    journal.append(c, { type: 'T', data: 1 });
    journal.appendBatch([
      { coordinate: c, event: { type: 'T', data: 2 } },
      { coordinate: c, event: { type: 'T', data: 3 } },
    ]);
    journal.close();
    // Cut the commit marker off a copy of the journal: the batch has no commit yet.
    const copy = tempDir();
    fs.copyFileSync(path.join(dir, '00000001.seg'), path.join(copy, '00000001.seg'));
    const size = fs.statSync(path.join(copy, '00000001.seg')).size;
    fs.truncateSync(path.join(copy, '00000001.seg'), size - 5);
    const reader = track(openReadOnly(copy));
    expect(reader.readAll().events.map((e) => e.data)).toEqual([1]);
    expect(fs.statSync(path.join(copy, '00000001.seg')).size).toBe(size - 5);
  });

  it('waitFor polls until the writer gets there', async () => {
    const { journal, dir } = freshJournal();
    const reader = track(openReadOnly(dir, { pollIntervalMs: 5 }));
    const waiting = reader.waitFor('visible', 2, { timeoutMs: 5000 });
    journal.append(c, { type: 'T', data: 1 });
    setTimeout(() => journal.append(c, { type: 'T', data: 2 }), 20);
    await waiting;
    expect(reader.watermarks().visible).toBe(2);
    await expect(reader.waitFor('visible', 9, { timeoutMs: 30 })).rejects.toMatchObject({
      code: 'WAIT_TIMEOUT',
    });
  });

  it('refuse writes, and refuse to open a directory without a journal', () => {
    const { journal, dir } = freshJournal();
    journal.append(c, { type: 'T', data: 1 });
    const reader = track(openReadOnly(dir));
    expect(() => reader.append(c, { type: 'T', data: 1 })).toThrow(
      expect.objectContaining({ code: 'JOURNAL_READ_ONLY' }),
    );
    expect(() => openReadOnly(tempDir())).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('verify', () => {
  it('checks every stream and reports progress', () => {
    const { journal } = freshJournal();
    for (let i = 0; i < 25_000; i++)
      journal.append(coordinate(`acct:${i % 7}`, 'bank'), { type: 'T', data: i });
    const progress: number[] = [];
    const result = journal.verify({ onProgress: (checked, total) => progress.push(checked, total) });
    expect(result).toEqual({ ok: true, events: 25_000, streams: 7, firstBreak: null });
    expect(progress).toEqual([10_000, 25_000, 20_000, 25_000, 25_000, 25_000]);
  });
});
