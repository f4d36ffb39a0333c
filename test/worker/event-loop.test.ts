import { describe, expect, it } from 'vitest';
import { Directive, Worker } from '../../src/index.js';
import { fixture, sleep, startChild } from '../children.js';
import { tempDir } from '../helpers.js';

describe('a busy worker', () => {
  it('yields to the event loop during a streak of zero-delay proceeds, so timers still fire', async () => {
    let runs = 0;
    const started = performance.now();
    const worker = new Worker({
      name: 'spinner',
      action: {
        // Spins for at most 2 s of real time, so a worker that never yields delays the timer
        // below by that much instead of hanging the test.
        execute: () => {
          runs++;
          return performance.now() - started < 2000 ? Directive.proceed() : Directive.idle();
        },
      },
    }).start();
    worker.wake();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const waited = performance.now() - started;
    await worker.stop();
    expect(runs).toBeGreaterThan(1); // a streak of proceeds, however busy the machine
    expect(waited).toBeLessThan(1000);
  });
});

describe('a running consumer keeps its process alive', () => {
  it.each([
    ['a worker loop', 'worker'],
    ['an SQLite outbox', 'outbox'],
    ['a journal cursor worker', 'cursor'],
  ])(
    'a program that only starts %s runs until it is stopped, then exits by itself',
    { timeout: 30_000 },
    async (_name, kind) => {
      const idle = startChild(fixture('idle-consumer.ts'), [kind, tempDir()]);
      expect(await idle.ready).toBe('STARTED');
      await sleep(2000);
      expect(idle.proc.exitCode).toBeNull();
      idle.proc.kill('SIGKILL');
      await idle.exited;
      const stopping = startChild(fixture('idle-consumer.ts'), [kind, tempDir(), 'then-stop']);
      await stopping.exited; // a process that stopped its consumer must not hang
      expect(stopping.lines).toEqual(['STARTED', 'STOPPED']);
    },
  );
});
