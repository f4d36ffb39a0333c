import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coordinate, open, openReadOnly } from '../../../src/index.js';
import { fixture, sleep, startChild } from '../../children.js';
import { tempDir, track } from '../../helpers.js';

/** Starts a fixture; resolves once it says it is ready. `exited` resolves on exit 0 or SIGKILL. */
async function start(name: string, args: string[]) {
  const child = startChild(fixture(name), args);
  await Promise.race([child.ready, child.exited]);
  return child;
}

describe('consumers killed with SIGKILL', () => {
  it('a durable cursor worker resumes from its checkpoint: every event at least once, in order', async () => {
    const dir = tempDir();
    const log = path.join(tempDir(), 'handled.log');
    const EVENTS = 400;
    const journal = open(dir);
    for (let i = 0; i < EVENTS; i++)
      journal.append(coordinate(`clock:${i % 7}`, 'test'), { type: 'Tick', data: i });
    journal.append(coordinate('other:1', 'test'), { type: 'Other', data: null });
    journal.close();

    const lastHandled = () => {
      const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
      return lines.length === 0 || lines[0] === '' ? 0 : Number(lines[lines.length - 1].split(' ')[1]);
    };
    let kills = 0;
    for (let round = 0; lastHandled() < EVENTS && round < 40; round++) {
      const child = await start('cursor-consumer.ts', [dir, log]);
      await sleep(60 + ((round * 37) % 90));
      if (lastHandled() < EVENTS) {
        child.proc.kill('SIGKILL');
        kills++;
      } else child.proc.kill('SIGKILL');
      await child.exited;
    }
    expect(kills).toBeGreaterThanOrEqual(2);
    const entries = fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ').map(Number) as [number, number]);
    // Within one run, positions go up one by one; a new run starts no later than just after the last
    // one's end (from its checkpoint), so nothing is skipped.
    let highest = 0;
    for (let i = 0; i < entries.length; i++) {
      const [run, position] = entries[i];
      if (i > 0 && entries[i - 1][0] === run) expect(position).toBe(entries[i - 1][1] + 1);
      else expect(position).toBeLessThanOrEqual(highest + 1);
      highest = Math.max(highest, position);
    }
    expect(new Set(entries.map(([, p]) => p)).size).toBe(EVENTS);
    expect(highest).toBe(EVENTS);
  }, 60_000);

  it('a reactor killed between appending reactions and checkpointing appends no duplicates', async () => {
    const dir = tempDir();
    const SOURCES = 12;
    const journal = open(dir);
    for (let n = 0; n < SOURCES; n++)
      journal.append(coordinate(`order:${n}`, 'shop'), {
        type: 'Paid',
        data: { n, crash: n === 3 || n === 8 },
      });
    journal.close();

    const reactions = () => {
      const reader = openReadOnly(dir);
      try {
        return [...reader.query({ entityPrefix: 'shipment' })];
      } finally {
        reader.close();
      }
    };
    let starts = 0;
    while (reactions().length < 2 * SOURCES && starts < 10) {
      starts++;
      const child = await start('reactor-child.ts', [dir]);
      const deadline = Date.now() + 5000;
      let died = false;
      child.exited.then(() => {
        died = true;
      });
      while (!died && reactions().length < 2 * SOURCES && Date.now() < deadline) await sleep(20);
      if (!died) child.proc.kill('SIGKILL');
      await child.exited;
    }
    expect(starts).toBe(3); // killed after source 3, after source 8, then finished
    const found = reactions();
    expect(found.length).toBe(2 * SOURCES);
    const perSource = new Map<string, number>();
    for (const r of found) perSource.set(r.causationId!, (perSource.get(r.causationId!) ?? 0) + 1);
    expect([...perSource.values()]).toEqual(Array(SOURCES).fill(2));
    const reopened = track(open(dir));
    expect(reopened.verify().ok).toBe(true);
  }, 60_000);
});
