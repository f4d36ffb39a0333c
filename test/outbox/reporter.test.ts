import { describe, expect, it } from 'vitest';
import { DatabaseError, DatabaseUnavailable } from '../../src/index.js';
import { Reporter } from '../../src/outbox/reporter.js';
import { Directive } from '../../src/worker/index.js';
import { recordingLogger } from '../helpers.js';

describe('how the outbox reports its background workers', () => {
  const worker = { name: 'sequencer-0', category: 'sequencer' };

  it('a deadlock is information with a running count, a database away a warning, anything else an error', () => {
    const { logger, infos, warnings, errors } = recordingLogger();
    const listener = new Reporter(logger).workerListener();
    const deadlock = new DatabaseError(
      'mysql',
      Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK' }),
      true,
    );
    listener.onError!(worker, deadlock, 1, 100);
    listener.onError!(worker, deadlock, 2, 200);
    listener.onError!(worker, new DatabaseUnavailable('mysql', new Error('connect ECONNREFUSED')), 3, 400);
    listener.onError!(worker, new Error('a bug'), 4, 800);
    expect(infos.map((i) => i.obj.conflicts)).toEqual([1, 2]);
    expect(warnings.map((w) => w.obj.consecutiveFailures)).toEqual([3]);
    expect(errors.map((e) => (e.obj.err as Error).message)).toEqual(['a bug']);
  });

  it('says once that a worker recovered', () => {
    const { logger, infos } = recordingLogger();
    const listener = new Reporter(logger).workerListener();
    listener.onError!(worker, new Error('x'), 1, 100);
    listener.onComplete!(worker, 1, Directive.idle());
    listener.onComplete!(worker, 1, Directive.idle());
    expect(infos.filter((i) => i.msg === 'outbox worker recovered')).toHaveLength(1);
  });
});
