import { describe, expect, it } from 'vitest';
import { Directive, Worker } from '../../src/index.js';

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
