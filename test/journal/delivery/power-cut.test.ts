import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CursorWorkerAction, coordinate, open, type StoredEvent } from '../../../src/index.js';
import { fixture, sleep, startChild } from '../../children.js';
import { depositCount, shippingHandlers } from '../../fixtures/bank-consumers.js';
import { tempDir, track } from '../../helpers.js';
import { cutPower } from '../../power-cut.js';

const account = coordinate('acct:1', 'bank');
const savedPosition = (dir: string, id: string) =>
  JSON.parse(fs.readFileSync(path.join(dir, 'checkpoints', `${id}.json`), 'utf8')).position as number;

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(10);
  }
}

describe('consumers across a power cut', () => {
  it('never resume past what survived: checkpoints only cover durable events, reactions included', {
    timeout: 60_000,
  }, async () => {
    const dir = tempDir();
    const shadow = tempDir();
    const child = startChild(fixture('power-cut-consumer.ts'), [dir, shadow]);
    expect(await Promise.race([child.ready, child.exited.then(() => 'exited')])).toMatch(/^HANDLED \d+$/);
    child.proc.kill('SIGKILL');
    await child.exited;
    cutPower(dir, shadow);

    const journal = track(open(dir));
    const deposits = () => [...journal.query({ types: ['Deposited'] })];
    const survived = journal.watermarks().visible;
    // A checkpoint on disk covers only events that are on disk too.
    expect(savedPosition(dir, 'billing')).toBeLessThanOrEqual(survived);
    expect(savedPosition(dir, 'reactor.shipping')).toBeLessThanOrEqual(survived);
    for (let i = 1000; i < 1300; i++) journal.append(account, { type: 'Deposited', data: { i } });

    // The cursor worker resumes at its checkpoint and handles every deposit after it.
    const from = savedPosition(dir, 'billing');
    const seen: number[] = [];
    const billing = journal.cursorWorker({ types: ['Deposited'] }, { checkpointId: 'billing' }, (batch) => {
      seen.push(...batch.map((e) => e.position));
      return CursorWorkerAction.continue;
    });
    const end = journal.watermarks().visible;
    await until(() => billing.committed >= end);
    await billing.stopAndJoin();
    expect(seen).toEqual(
      deposits()
        .filter((e) => e.position > from)
        .map((e) => e.position),
    );

    // The reactor: every deposit that exists has its one reaction.
    const shipping = journal.reactor({ name: 'shipping', handlers: shippingHandlers });
    await until(() => [...journal.query({ types: ['Shipped'] })].length >= deposits().length);
    await shipping.stopAndJoin();
    const causes = [...journal.query({ types: ['Shipped'] })].map((e: StoredEvent) => e.causationId);
    expect(new Set(causes).size).toBe(causes.length);
    expect(causes.sort()).toEqual(
      deposits()
        .map((e) => e.id)
        .sort(),
    );

    // The projection's disk cache counts what the journal holds.
    expect(journal.project(depositCount).state).toBe(deposits().length);
  });
});
