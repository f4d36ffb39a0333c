import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coordinate, open, openReadOnly } from '../../src/index.js';
import { fixture, sleep, startChild } from '../children.js';
import { tempDir, track } from '../helpers.js';

const writerScript = fixture('journal-writer.ts');
const lockHolderScript = fixture('lock-holder.ts');

/** Kills a writer at random moments, `cycles` times on one directory, checking the journal after each kill. */
async function killLoop(dir: string, seed: number, cycles: number): Promise<number> {
  let acknowledgedTotal = 0;
  for (let start = 0; start < cycles; start += KILLS_PER_DIRECTORY) {
    const fresh = start === 0 ? dir : tempDir();
    acknowledgedTotal += await killCycles(
      fresh,
      seed * 100 + start,
      Math.min(KILLS_PER_DIRECTORY, cycles - start),
    );
  }
  return acknowledgedTotal;
}

// Recovery after recovery is exercised within a directory; a fresh one every few kills keeps each
// check small (every check reads and verifies the whole journal).
const KILLS_PER_DIRECTORY = 5;

async function killCycles(dir: string, seed: number, cycles: number): Promise<number> {
  let rand = seed;
  const next = () => {
    rand = (Math.imul(rand, 1103515245) + 12345) >>> 0;
    return rand / 2 ** 32;
  };
  const acknowledged = new Map<number, string>();
  const keyed: { key: string; entity: string; n: number; position: number }[] = [];
  let lastVisible = 0;
  for (let cycle = 0; cycle < cycles; cycle++) {
    const child = startChild(writerScript, [dir, String(seed * 1000 + cycle)]);
    const ready = await child.ready;
    expect(ready).toBe(`R ${lastVisible}`);
    await sleep(10 + next() * 150);
    child.proc.kill('SIGKILL');
    await child.exited;
    await sleep(20); // let the last stdout chunk arrive
    for (const line of child.lines) {
      const [kind, a, b] = line.split(' ');
      if (kind === 'E') acknowledged.set(Number(a), b);
      if (kind === 'K') {
        const [, key, entity, n, position] = line.split(' ');
        keyed.push({ key, entity, n: Number(n), position: Number(position) });
      }
    }

    const journal = open(dir);
    try {
      const events = [...journal.query({}, 5000)];
      // Dense positions: a prefix of the journal survived, nothing in between went missing.
      expect(events.map((e) => e.position)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
      // Everything acknowledged (durable or handed to the OS) is there with the same id.
      const byPosition = new Map(events.map((e) => [e.position, e.id]));
      for (const [position, id] of acknowledged)
        expect(byPosition.get(position), `position ${position}`).toBe(id);
      // No batch is partly visible.
      const batches = new Map<string, { size: number; seen: number }>();
      for (const e of events) {
        const m = e.metadata as { batch?: string; size?: number } | undefined;
        if (!m?.batch) continue;
        const b = batches.get(m.batch) ?? { size: m.size!, seen: 0 };
        b.seen++;
        batches.set(m.batch, b);
      }
      for (const [batch, b] of batches) expect(b.seen, `batch ${batch}`).toBe(b.size);
      expect(journal.verify()).toMatchObject({ ok: true, events: events.length });
      // Idempotency keys survive the crash: a retry finds the original event.
      for (const k of keyed.slice(-20)) {
        const retry = journal.append(
          coordinate(k.entity, 'crash'),
          { type: 'Durable', data: { n: k.n } },
          { idempotencyKey: k.key },
        );
        expect(retry).toMatchObject({ deduplicated: true, position: k.position });
      }
      expect(journal.openReport().events).toBe(events.length);
      lastVisible = events.length;
    } finally {
      journal.close();
    }
  }
  return acknowledged.size;
}

describe('crash safety under SIGKILL', () => {
  it('keeps every acknowledged event, never a partial batch, across 100 kills of a writer', {
    timeout: 240_000,
  }, async () => {
    // Two kill loops at once: one per core.
    const acknowledged = await Promise.all([1, 2].map((seed) => killLoop(tempDir(), seed, 50)));
    // The kills landed while the writer was busy, not before it started (a few events per kill on
    // average; fewer on a loaded machine, where the writer gets less of the time before each kill).
    for (const n of acknowledged) expect(n).toBeGreaterThan(250);
  });

  it('gives a second writer in another process JournalLocked naming the holder, until the holder dies', {
    timeout: 30_000,
  }, async () => {
    const dir = tempDir();
    const holder = startChild(lockHolderScript, [dir]);
    const ready = await holder.ready;
    expect(ready).toBe('locked');
    let error: unknown;
    try {
      open(dir);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({
      code: 'JOURNAL_LOCKED',
      holder: expect.stringContaining(`pid ${holder.proc.pid}`),
    });
    holder.proc.kill('SIGKILL');
    await holder.exited;
    const journal = track(open(dir));
    expect(journal.readStream('held:1').map((e) => e.type)).toEqual(['Held']);
  });

  it.each([[['writer.lock']], [['writer.lock', 'writer.holder']]])(
    'refuses a second writer even after %j were deleted while the holder runs',
    { timeout: 30_000 },
    async (deleted) => {
      const dir = tempDir();
      const holder = startChild(lockHolderScript, [dir]);
      expect(await holder.ready).toBe('locked');
      for (const file of deleted) fs.rmSync(path.join(dir, file));
      const locked = expect.objectContaining({
        code: 'JOURNAL_LOCKED',
        holder: expect.stringContaining(`pid ${holder.proc.pid}`),
      });
      expect(() => open(dir)).toThrow(locked);
      expect(() => open(dir)).toThrow(locked); // and again, now that a lock file exists once more
      holder.proc.kill('SIGKILL');
      await holder.exited;
      expect(track(open(dir)).readStream('held:1')).toHaveLength(1);
    },
  );

  it('lets a copy of a running journal, and a journal nested in it, have writers of their own', {
    timeout: 30_000,
  }, async () => {
    const dir = tempDir();
    track(open(path.join(dir, 'outer'))).close();
    const holder = startChild(lockHolderScript, [path.join(dir, 'outer', 'nested')]);
    const original = tempDir();
    const other = startChild(lockHolderScript, [original]);
    expect(await holder.ready).toBe('locked');
    expect(await other.ready).toBe('locked');
    fs.cpSync(original, path.join(dir, 'copy'), { recursive: true });
    // The copy's writer.holder names the original's live writer, which holds another directory.
    expect(track(open(path.join(dir, 'copy'))).readStream('held:1')).toHaveLength(1);
    // With its lock files gone, the outer journal looks for writers of its own segments only.
    fs.rmSync(path.join(dir, 'outer', 'writer.lock'));
    fs.rmSync(path.join(dir, 'outer', 'writer.holder'));
    track(open(path.join(dir, 'outer')));
    for (const child of [holder, other]) {
      child.proc.kill('SIGKILL');
      await child.exited;
    }
  });

  it('refuses a second writer in the same process after writer.lock was deleted', () => {
    const dir = tempDir();
    const first = track(open(dir));
    fs.rmSync(path.join(dir, 'writer.lock'));
    expect(() => open(dir)).toThrow(expect.objectContaining({ code: 'JOURNAL_LOCKED' }));
    first.close();
    track(open(dir));
  });

  it('lets a reader follow a writer in another process, seeing only whole batches', {
    timeout: 60_000,
  }, async () => {
    const dir = tempDir();
    track(open(dir)).close();
    const writer = startChild(writerScript, [dir, '99']);
    await writer.ready;
    const reader = track(openReadOnly(dir));
    let previous = 0;
    for (let i = 0; i < 40; i++) {
      await sleep(10);
      const visible = reader.catchUp();
      expect(visible).toBeGreaterThanOrEqual(previous);
      previous = visible;
      const page = reader.readAll({ after: Math.max(0, visible - 200), limit: 200 });
      const batches = new Map<string, number>();
      for (const e of page.events) {
        const m = e.metadata as { batch?: string } | undefined;
        if (m?.batch) batches.set(m.batch, (batches.get(m.batch) ?? 0) + 1);
      }
      // The newest batch in view must be complete: a reader never sees the front half of a batch.
      const last = page.events.at(-1)?.metadata as { batch?: string; size?: number } | undefined;
      if (last?.batch) expect(batches.get(last.batch)).toBe(last.size);
    }
    writer.proc.kill('SIGKILL');
    await writer.exited;
    expect(previous).toBeGreaterThan(0);
    expect(reader.verify().ok).toBe(true);
  });
});
