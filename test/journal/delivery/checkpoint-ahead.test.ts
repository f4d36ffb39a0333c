import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointAhead, coordinate, type Journal, open, openReadOnly } from '../../../src/index.js';
import { recordingLogger, tempDir, track } from '../../helpers.js';

const c = coordinate('acct:1', 'bank');
const fill = (j: Journal, n: number, tag = 'a') => {
  for (let i = 0; i < n; i++) j.append(c, { type: 'T', data: { tag, i } });
};
const copyJournal = (from: string, to: string) => fs.cpSync(from, to, { recursive: true });
const ahead = (reason: RegExp) =>
  expect.objectContaining({
    code: 'CHECKPOINT_AHEAD',
    details: expect.objectContaining({ reason: expect.stringMatching(reason) }),
  });

function consumed(dir: string, n: number): void {
  const j = open(dir);
  fill(j, n);
  const cursor = j.cursor({}, { checkpointId: 'billing' });
  cursor.poll(n);
  cursor.commit();
  j.close();
}

describe('a checkpoint ahead of the journal', () => {
  it('copied from a longer journal is refused with CheckpointAhead, for cursors, workers and readers', () => {
    const long = tempDir();
    consumed(long, 50);
    const short = tempDir();
    const j = track(open(short));
    fill(j, 10);
    fs.cpSync(path.join(long, 'checkpoints'), path.join(short, 'checkpoints'), { recursive: true });
    expect(() => j.cursor({}, { checkpointId: 'billing' })).toThrow(ahead(/ends at position 10/));
    expect(() => j.cursorWorker({}, { checkpointId: 'billing' }, () => 'continue')).toThrow(CheckpointAhead);
    const reader = track(openReadOnly(short));
    expect(() => reader.cursor({}, { checkpointId: 'billing' })).toThrow(CheckpointAhead);
    expect(j.checkpoints()).toEqual([{ id: 'billing', region: {}, position: 50, status: 'ahead' }]);
  });

  it('from another journal of the same length or longer is refused: it points at another event', () => {
    const a = tempDir();
    consumed(a, 20);
    const b = tempDir();
    const j = track(open(b));
    fill(j, 30, 'b');
    fs.cpSync(path.join(a, 'checkpoints'), path.join(b, 'checkpoints'), { recursive: true });
    expect(() => j.cursor({}, { checkpointId: 'billing' })).toThrow(ahead(/another event/));
  });

  it('after the journal was restored from an older backup, even once it has grown past it again', () => {
    const dir = tempDir();
    const backup = tempDir();
    consumed(dir, 100);
    fs.rmSync(backup, { recursive: true });
    copyJournal(dir, backup);
    const j = open(dir);
    fill(j, 200, 'later');
    const cursor = j.cursor({}, { checkpointId: 'billing' });
    cursor.poll(1000);
    cursor.commit(); // at 300
    j.close();
    // Restore the journal's segments and index from the backup, keeping the newer checkpoint.
    for (const f of fs.readdirSync(dir))
      if (f !== 'checkpoints') fs.rmSync(path.join(dir, f), { recursive: true });
    for (const f of fs.readdirSync(backup))
      if (f !== 'checkpoints') fs.cpSync(path.join(backup, f), path.join(dir, f), { recursive: true });
    const restored = track(open(dir));
    expect(() => restored.cursor({}, { checkpointId: 'billing' })).toThrow(ahead(/ends at position 100/));
    fill(restored, 250, 'after-restore');
    expect(() => restored.cursor({}, { checkpointId: 'billing' })).toThrow(ahead(/another event/));
  });

  it('resetCheckpoint says where to go on from, keeping the region', () => {
    const long = tempDir();
    const j0 = open(long);
    fill(j0, 40);
    const saved = j0.cursor({ types: ['T'] }, { checkpointId: 'billing' });
    saved.poll(100);
    saved.commit();
    j0.close();
    const dir = tempDir();
    const j = track(open(dir));
    fill(j, 10);
    fs.cpSync(path.join(long, 'checkpoints'), path.join(dir, 'checkpoints'), { recursive: true });
    let error: CheckpointAhead | undefined;
    try {
      j.cursor({ types: ['T'] }, { checkpointId: 'billing' });
    } catch (err) {
      error = err as CheckpointAhead;
    }
    expect(error?.message).toContain('journal.resetCheckpoint("billing", position)');
    expect(() => j.resetCheckpoint('billing', 11)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => j.resetCheckpoint('nobody', 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    j.resetCheckpoint('billing', 4);
    const cursor = j.cursor({ types: ['T'] }, { checkpointId: 'billing' });
    expect(cursor.poll(100).map((e) => e.position)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(j.checkpoints()).toEqual([{ id: 'billing', region: { types: ['T'] }, position: 4, status: 'ok' }]);
  });

  it('a projection whose disk cache covers events the journal lacks is rebuilt, not folded on from', () => {
    const count = {
      name: 'count',
      version: 1,
      cache: 'disk' as const,
      initial: () => 0,
      apply: (n: number) => n + 1,
    };
    const long = tempDir();
    const j0 = open(long);
    fill(j0, 40);
    expect(j0.project(count).state).toBe(40);
    j0.close();
    const dir = tempDir();
    const { logger, warnings } = recordingLogger();
    const j = track(open(dir, { logger }));
    fill(j, 45, 'other');
    fs.cpSync(path.join(long, 'projections'), path.join(dir, 'projections'), { recursive: true });
    expect(j.project(count).state).toBe(45);
    expect(warnings).toHaveLength(1);
  });

  it('a first-format checkpoint (no event id) is still read, and checked against the end', () => {
    const dir = tempDir();
    const j = track(open(dir));
    fill(j, 10);
    fs.mkdirSync(path.join(dir, 'checkpoints'));
    const write = (position: number) =>
      fs.writeFileSync(
        path.join(dir, 'checkpoints', 'old.json'),
        JSON.stringify({ format: 'causeway-checkpoint/1', id: 'old', region: {}, position }),
      );
    write(7);
    expect(j.cursor({}, { checkpointId: 'old' }).position).toBe(7);
    write(11);
    expect(() => j.cursor({}, { checkpointId: 'old' })).toThrow(CheckpointAhead);
  });
});
