import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  Directive,
  Notifier,
  poker,
  Semaphore,
  StatsListener,
  TaskSet,
  Worker,
  type WorkerAction,
} from '../../src/index.js';

const S = 1000;
const H = 3600 * S;

beforeEach(() => {
  // setImmediate stays real: the worker yields to the event loop with it during long proceed runs.
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
  });
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
});

const now = () => Date.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

/** An action from a function, recording when each run started and ended. */
function recorded(
  run: (
    call: number,
    signal: AbortSignal,
  ) => Promise<ReturnType<typeof Directive.idle>> | ReturnType<typeof Directive.idle>,
) {
  const starts: number[] = [];
  const ends: number[] = [];
  const action: WorkerAction = {
    async execute(signal) {
      starts.push(now());
      try {
        return await run(starts.length, signal);
      } finally {
        ends.push(now());
      }
    },
  };
  return { action, starts, ends };
}

describe('worker scenarios', () => {
  it('a worker whose work overruns its polling interval runs again at once because it said proceed', async () => {
    const works = [2 * H, 5 * H, 1 * H];
    const { action, starts, ends } = recorded(async (call) => {
      const work = works[call - 1] ?? S;
      await sleep(work);
      return work > 4 * H ? Directive.proceed() : Directive.idle();
    });
    const tick = poker(4 * H);
    const worker = new Worker({ name: 'batch', action, notifiers: [tick] }).start();
    await advance(16 * H);
    // A run the poker started may be in flight: let it finish while the worker stops.
    const stopped = worker.stop();
    tick.stop();
    await advance(H);
    await stopped;
    expect(starts.length).toBeGreaterThanOrEqual(3);
    // Call 3 started the moment call 2 ended, not at the next poke.
    expect(starts[2]).toBe(ends[1]);
    expect(starts[0]).toBe(4 * H);
  });

  it('an event-driven worker reacts to notifications without waiting for its long poker', async () => {
    const { action, starts } = recorded(() => Directive.idle());
    const events = new Notifier();
    const tick = poker(24 * H);
    const worker = new Worker({ name: 'events', action, notifiers: [events, tick] }).start();
    await advance(10 * S);
    events.wake();
    await advance(1);
    expect(starts).toEqual([10 * S]);
    await advance(5 * S - 1);
    events.wake();
    await advance(1);
    expect(starts).toEqual([10 * S, 15 * S]);
    await worker.stop();
    tick.stop();
  });

  it('three errors back off 1 s, 2 s, 4 s; a success resets, and the next error waits 1 s again', async () => {
    const outcomes = ['fail', 'fail', 'fail', 'ok', 'fail', 'ok'];
    const { action, starts } = recorded((call) =>
      outcomes[call - 1] === 'fail'
        ? Directive.failed(new Error(`boom ${call}`))
        : call === 4
          ? Directive.proceed()
          : Directive.idle(),
    );
    const worker = new Worker({
      name: 'flaky',
      action,
      backoff: { initial: S, max: 60 * S, multiplier: 2, jitter: 0 },
    }).start();
    worker.wake();
    await advance(60 * S);
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    expect(gaps).toEqual([1 * S, 2 * S, 4 * S, 0, 1 * S]);
    await worker.stop();
  });

  it('any of several notifier sources wakes the worker', async () => {
    const { action, starts } = recorded(() => Directive.idle());
    const a = new Notifier();
    const b = new Notifier();
    const c = new Notifier();
    const worker = new Worker({ name: 'multi', action, notifiers: [a, b, c] }).start();
    for (const [source, at] of [
      [b, 1 * S],
      [a, 2 * S],
      [c, 3 * S],
    ] as const) {
      await advance(at - now());
      source.wake();
      await advance(1);
    }
    expect(starts).toEqual([1 * S, 2 * S, 3 * S]);
    await worker.stop();
  });

  it('four workers sharing a two-permit limit never run more than two at a time', async () => {
    const permits = new Semaphore(2);
    const start = new Notifier();
    let running = 0;
    let most = 0;
    let runs = 0;
    const action: WorkerAction = {
      async execute() {
        running++;
        most = Math.max(most, running);
        await sleep(100);
        running--;
        runs++;
        return runs < 12 ? Directive.proceed() : Directive.idle();
      },
    };
    const tasks = new TaskSet();
    for (let i = 0; i < 4; i++)
      tasks.spawn({
        name: `w${i}`,
        action,
        notifiers: [start],
        limit: { kind: 'fixed', semaphore: permits },
      });
    start.wake();
    await advance(2 * S);
    expect(most).toBe(2);
    expect(runs).toBeGreaterThanOrEqual(12);
    await tasks.shutdown();
  });

  it('a maintenance worker schedules itself with sleep and needs no external signal', async () => {
    const { action, starts } = recorded(() => Directive.sleep(H));
    const worker = new Worker({ name: 'vacuum', action }).start();
    worker.wake(); // the one start signal
    await advance(5 * H + 1);
    expect(starts).toEqual([0, H, 2 * H, 3 * H, 4 * H, 5 * H]);
    await worker.stop();
  });

  it('a throwing action is caught, backs off and keeps running', async () => {
    const { action, starts } = recorded((call) => {
      if (call <= 2) throw new Error('panic');
      return Directive.idle();
    });
    const errors: unknown[] = [];
    const worker = new Worker({
      name: 'thrower',
      action,
      backoff: { initial: S, jitter: 0 },
      listeners: [{ onError: (_w, err) => errors.push(err) }],
    }).start();
    worker.wake();
    await advance(10 * S);
    expect(starts).toEqual([0, 1 * S, 3 * S]);
    expect(errors).toHaveLength(2);
    worker.wake();
    await advance(1);
    expect(starts).toHaveLength(4);
    await worker.stop();
  });

  it('a worker that propagates its throw stops, and its siblings run on', async () => {
    const tasks = new TaskSet();
    const wake = new Notifier();
    const bad = tasks.spawn({
      name: 'bad',
      notifiers: [wake],
      onThrow: 'propagate',
      action: { execute: () => Promise.reject(new Error('fatal')) },
    });
    const good = recorded(() => Directive.idle());
    tasks.spawn({ name: 'good', notifiers: [wake], action: good.action });
    wake.wake();
    await advance(1);
    await expect(bad.join()).rejects.toThrow('fatal');
    wake.wake();
    await advance(1);
    expect(good.starts).toHaveLength(2);
    await tasks.shutdown();
  });

  it('shutdown while an action is in flight waits for it, and nothing runs afterwards', async () => {
    let sawAbort = false;
    const { action, starts, ends } = recorded(async (_call, signal) => {
      await sleep(10 * S);
      sawAbort = signal.aborted;
      return Directive.proceed();
    });
    const tasks = new TaskSet();
    const worker = tasks.spawn({ name: 'slow', action });
    worker.wake();
    await advance(5 * S);
    let done = false;
    const stopping = tasks.shutdown().then(() => {
      done = true;
    });
    await advance(4 * S);
    expect(done).toBe(false);
    await advance(1 * S);
    await stopping;
    expect(ends).toEqual([10 * S]);
    expect(sawAbort).toBe(true);
    worker.wake();
    await advance(60 * S);
    expect(starts).toHaveLength(1);
    await tasks.shutdown(); // twice is harmless
  });

  it('a wake during execution is remembered; ten wakes during execution cause one extra run', async () => {
    const { action, starts } = recorded(async () => {
      await sleep(S);
      return Directive.idle();
    });
    const n = new Notifier();
    const worker = new Worker({ name: 'busy', action, notifiers: [n] }).start();
    n.wake();
    await advance(S / 2);
    for (let i = 0; i < 10; i++) n.wake();
    await advance(10 * S);
    expect(starts).toEqual([0, S]);
    await worker.stop();
  });
});

describe('pacing', () => {
  it('the first proceed after a wake waits activeInterval, each next one rampStep less down to minInterval; idle resets', async () => {
    const plan = ['proceed', 'proceed', 'proceed', 'proceed', 'proceed', 'idle', 'proceed', 'idle'];
    const { action, starts } = recorded((call) =>
      plan[call - 1] === 'proceed' ? Directive.proceed() : Directive.idle(),
    );
    const worker = new Worker({
      name: 'paced',
      action,
      pacing: { activeInterval: 100, rampStep: 30, minInterval: 20 },
    }).start();
    worker.wake();
    await advance(1000);
    expect(starts.slice(1, 6).map((t, i) => t - starts[i])).toEqual([100, 70, 40, 20, 20]);
    worker.wake();
    await advance(1000);
    const last = starts.length - 1;
    expect(starts[last] - starts[last - 1]).toBe(100);
    await worker.stop();
  });
});

describe('tiered limits', () => {
  it('high-priority workers borrow the shared pool; low-priority ones run only when it is free', async () => {
    const guaranteed = new Semaphore(1);
    const shared = new Semaphore(1);
    const log: string[] = [];
    const job = (name: string, ms: number): WorkerAction => ({
      async execute() {
        log.push(`${name}+${now()}`);
        await sleep(ms);
        log.push(`${name}-${now()}`);
        return Directive.idle();
      },
    });
    const high1 = new Worker({
      name: 'high1',
      action: job('h1', 100),
      limit: { kind: 'tiered', guaranteed, shared },
    }).start();
    const high2 = new Worker({
      name: 'high2',
      action: job('h2', 200),
      limit: { kind: 'tiered', guaranteed, shared },
    }).start();
    const low = new Worker({
      name: 'low',
      action: job('lo', 50),
      limit: { kind: 'fixed', semaphore: shared },
    }).start();
    high1.wake();
    high2.wake();
    low.wake();
    await advance(1000);
    // Both high-priority workers ran at once (shared + guaranteed); the low one waited for the shared permit.
    expect(log.slice(0, 2).sort()).toEqual(['h1+0', 'h2+0']);
    expect(log).toContain('lo+100');
    await Promise.all([high1.stop(), high2.stop(), low.stop()]);
  });
});

describe('listeners and stats', () => {
  it('observe start, execute, completion, error, idle, sleep and stop', async () => {
    const events: string[] = [];
    const stats = new StatsListener();
    const plan = [Directive.proceed(), Directive.failed('x'), Directive.sleep(10), Directive.idle()];
    const { action } = recorded((call) => plan[call - 1] ?? Directive.idle());
    const worker = new Worker({
      name: 'seq-1',
      category: 'sequencer',
      action,
      backoff: { initial: 5, jitter: 0 },
      listeners: [
        {
          onStart: (w) => events.push(`start ${w.name}`),
          onExecuteStart: () => events.push('exec'),
          onComplete: (_w, ms, d) => events.push(`done ${d.kind} ${ms}`),
          onError: (_w, err, n, backoff) => events.push(`error ${err} ${n} ${backoff}`),
          onIdle: () => events.push('idle'),
          onSleep: (_w, ms) => events.push(`sleep ${ms}`),
          onStop: () => events.push('stop'),
        },
        stats,
      ],
    }).start();
    worker.wake();
    await advance(100);
    await worker.stop();
    expect(events).toEqual([
      'start seq-1',
      'exec',
      'done proceed 0',
      'exec',
      'done failed 0',
      'error x 1 5',
      'exec',
      'done sleep 0',
      'sleep 10',
      'exec',
      'done idle 0',
      'idle',
      'stop',
    ]);
    expect(stats.byWorker.get('seq-1')).toMatchObject({
      executions: 4,
      proceeds: 1,
      sleeps: 1,
      idles: 1,
      failures: 1,
      lastError: 'x',
    });
    expect(stats.byCategory.get('sequencer')?.executions).toBe(4);
  });
});

describe('configuration mistakes are rejected when the worker is built', () => {
  const action = { execute: () => Directive.idle() };
  it.each([
    ['zero concurrency', () => new Semaphore(0)],
    [
      'minInterval above activeInterval',
      () => new Worker({ name: 'w', action, pacing: { activeInterval: 10, minInterval: 20 } }),
    ],
    ['a negative interval', () => new Worker({ name: 'w', action, pacing: { activeInterval: -1 } })],
    ['a negative backoff', () => new Worker({ name: 'w', action, backoff: { initial: -5 } })],
    [
      'a backoff max below its initial',
      () => new Worker({ name: 'w', action, backoff: { initial: 10, max: 5 } }),
    ],
    ['a multiplier below 1', () => new Worker({ name: 'w', action, backoff: { multiplier: 0.5 } })],
    ['jitter above 1', () => new Worker({ name: 'w', action, backoff: { jitter: 2 } })],
    ['an empty name', () => new Worker({ name: '', action })],
    ['no action', () => new Worker({ name: 'w', action: {} as never })],
    ['an unknown throw policy', () => new Worker({ name: 'w', action, onThrow: 'ignore' as never })],
    ['a non-positive poker interval', () => poker(0)],
  ])('%s', (_name, build) => {
    expect(build).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('a duplicate name in a task set, and spawning after shutdown', async () => {
    const tasks = new TaskSet();
    tasks.spawn({ name: 'a', action });
    expect(() => tasks.spawn({ name: 'a', action })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    await tasks.shutdown();
    expect(() => tasks.spawn({ name: 'b', action })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
