import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointRegionMismatch,
  CheckpointWriteFailed,
  type CursorWorkerContext,
  coordinate,
  type Journal,
  RestartBudgetExhausted,
  RestartPolicy,
} from '../../../src/index.js';
import { freshJournal } from '../../helpers.js';

const order = (n: number) => coordinate(`order:${n}`, 'shop');
const fill = (journal: Journal, n: number, from = 0) => {
  for (let i = from; i < from + n; i++) journal.append(order(i % 4), { type: 'Placed', data: i });
};
const savedPosition = (dir: string, id: string) =>
  JSON.parse(fs.readFileSync(path.join(dir, 'checkpoints', `${id}.json`), 'utf8')).position;

describe('cursor workers', () => {
  it('hand batches in order, commit on continue and stop on stop', async () => {
    const { journal, dir } = freshJournal();
    fill(journal, 10);
    const batches: unknown[][] = [];
    const contexts: CursorWorkerContext[] = [];
    const handle = journal.cursorWorker({}, { batchSize: 4, checkpointId: 'w' }, (batch, context) => {
      batches.push(batch.map((e) => e.data));
      contexts.push(context);
      return batches.length < 2 ? 'continue' : 'stop';
    });
    await handle.join();
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(contexts.every((c) => c.durable)).toBe(true);
    expect(contexts[1].committed).toBe(4);
    expect(handle.committed).toBe(8);
    expect(savedPosition(dir, 'w')).toBe(8);
  });

  it('roll back to the last checkpoint on stopWithRollback, so the batch comes again', async () => {
    const { journal, dir } = freshJournal();
    fill(journal, 6);
    let calls = 0;
    const first = journal.cursorWorker({}, { batchSize: 3, checkpointId: 'r' }, () =>
      ++calls === 1 ? 'continue' : 'stopWithRollback',
    );
    await first.join();
    expect(first.committed).toBe(3);
    expect(savedPosition(dir, 'r')).toBe(3);
    const seen: unknown[] = [];
    const second = journal.cursorWorker({}, { batchSize: 3, checkpointId: 'r' }, (batch) => {
      seen.push(...batch.map((e) => e.data));
      return 'stop';
    });
    await second.join();
    expect(seen).toEqual([3, 4, 5]);
  });

  it('follow new events as they are appended', async () => {
    const { journal } = freshJournal();
    const seen: unknown[] = [];
    const handle = journal.cursorWorker({ types: ['Placed'] }, {}, (batch) => {
      seen.push(...batch.map((e) => e.data));
      return seen.length >= 5 ? 'stop' : 'continue';
    });
    fill(journal, 2);
    await new Promise((r) => setTimeout(r, 10));
    journal.append(order(9), { type: 'Ignored', data: 'x' });
    fill(journal, 3, 2);
    await handle.join();
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it('restart a throwing handler from the last checkpoint once, then stop and report', async () => {
    const { journal } = freshJournal();
    fill(journal, 4);
    const seen: unknown[][] = [];
    const handle = journal.cursorWorker({}, { batchSize: 2 }, (batch) => {
      seen.push(batch.map((e) => e.data));
      if (batch[0].data === 2) throw new Error('boom');
      return 'continue';
    });
    const err = await handle.join().catch((e) => e);
    expect(err).toBeInstanceOf(RestartBudgetExhausted);
    expect(err.cause.message).toBe('boom');
    expect(handle.restarts).toBe(1);
    // The failing batch was delivered again after the restart; the committed one was not.
    expect(seen).toEqual([
      [0, 1],
      [2, 3],
      [2, 3],
    ]);
    expect(handle.committed).toBe(2);
  });

  it('honour a bounded restart budget', async () => {
    const { journal } = freshJournal();
    fill(journal, 1);
    let throws = 0;
    const handle = journal.cursorWorker({}, { restart: RestartPolicy.bounded(3, 60_000) }, () => {
      throws++;
      throw new Error('again');
    });
    await expect(handle.join()).rejects.toBeInstanceOf(RestartBudgetExhausted);
    expect(throws).toBe(4);
    expect(handle.restarts).toBe(3);
  });

  it('recover when the handler stops throwing within the budget', async () => {
    const { journal } = freshJournal();
    fill(journal, 3);
    let throws = 0;
    const seen: unknown[] = [];
    const handle = journal.cursorWorker({}, { restart: RestartPolicy.bounded(5, 60_000) }, (batch) => {
      if (throws++ < 2) throw new Error('flaky');
      seen.push(...batch.map((e) => e.data));
      return 'stop';
    });
    await handle.join();
    expect(seen).toEqual([0, 1, 2]);
  });

  it('stop and surface the error when a durable checkpoint cannot be written', async () => {
    const { journal, dir } = freshJournal();
    fill(journal, 4);
    // The temporary file's path is taken by a directory: every write fails.
    fs.mkdirSync(path.join(dir, 'checkpoints', 'broken.json.tmp'), { recursive: true });
    let batches = 0;
    const handle = journal.cursorWorker({}, { batchSize: 1, checkpointId: 'broken' }, () => {
      batches++;
      return 'continue';
    });
    const err = await handle.join().catch((e) => e);
    expect(err).toBeInstanceOf(CheckpointWriteFailed);
    expect(err.code).toBe('CHECKPOINT_WRITE_FAILED');
    const handled = batches;
    fill(journal, 2, 4); // a stopped worker takes nothing more
    await new Promise((r) => setTimeout(r, 20));
    expect(batches).toBe(handled);
    expect(fs.existsSync(path.join(dir, 'checkpoints', 'broken.json'))).toBe(false);
    // What the handle calls committed is what is on disk: nothing.
    expect(handle.committed).toBe(0);
  });

  it('tell an in-memory handler its checkpoint is not durable', async () => {
    const { journal, dir } = freshJournal();
    fill(journal, 1);
    let durable: boolean | undefined;
    await journal
      .cursorWorker({}, {}, (_, context) => {
        durable = context.durable;
        return 'stop';
      })
      .join();
    expect(durable).toBe(false);
    expect(fs.existsSync(path.join(dir, 'checkpoints'))).toBe(false);
  });

  it('stop on request after the batch in flight, with its checkpoint written', async () => {
    const { journal, dir } = freshJournal();
    fill(journal, 3);
    const handle = journal.cursorWorker({}, { batchSize: 1, checkpointId: 's' }, () => 'continue');
    await new Promise((r) => setTimeout(r, 20));
    await handle.stopAndJoin();
    expect(savedPosition(dir, 's')).toBe(3);
  });

  it('fail at start for a checkpoint of another region, and on a handler that returns nonsense', async () => {
    const { journal } = freshJournal();
    fill(journal, 1);
    const c = journal.cursor({ types: ['Placed'] }, { checkpointId: 'shared' });
    c.commit();
    expect(() => journal.cursorWorker({}, { checkpointId: 'shared' }, () => 'continue')).toThrow(
      CheckpointRegionMismatch,
    );
    const handle = journal.cursorWorker({}, {}, () => 'maybe' as never);
    await expect(handle.join()).rejects.toThrow(/maybe/);
    expect(() => journal.cursorWorker({}, { batchSize: 0 }, () => 'continue')).toThrow(/batchSize/);
  });
});
