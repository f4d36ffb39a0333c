/**
 * What the metrics tests share: a strict parser of the Prometheus text exposition, and an outbox
 * whose queues are brought to a known state.
 */
import { expect } from 'vitest';
import type { Outbox } from '../../src/index.js';
import { waitFor } from '../outbox/conformance.js';
import type { TestDatabase } from '../outbox/databases.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;

/**
 * Parses the text exposition format (version 0.0.4), strictly: every line is a comment, a TYPE or
 * HELP line, or a sample of a family whose TYPE came before; anything else fails the test.
 */
export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      expect(types.has(type[1]), `TYPE ${type[1]} twice`).toBe(false);
      types.set(type[1], type[2]);
      continue;
    }
    if (/^# HELP \S+ .+$/.test(line)) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined) {
      LABEL.lastIndex = 0;
      let consumed = 0;
      for (let l = LABEL.exec(m[2]); l; l = LABEL.exec(m[2])) {
        labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
        consumed = LABEL.lastIndex;
      }
      if (consumed !== m[2].length) throw new Error(`bad labels: ${line}`);
    }
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    if (!types.has(m[1]) && types.get(family) !== 'histogram')
      throw new Error(`sample before its TYPE: ${line}`);
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`bad value: ${line}`);
    samples.push({ name: m[1], labels, value });
  }
  return { types, samples };
}

/** The samples of `name` whose labels include `labels`. */
export function find(e: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return e.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The one value of `name` with `labels`. */
export function value(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = find(e, name, labels);
  expect(found, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
  return found[0].value;
}

/** A histogram's buckets (by `le`), sum and count for `labels`, checked for Prometheus's rules. */
export function histogram(e: Exposition, name: string, labels: Record<string, string>) {
  expect(e.types.get(name)).toBe('histogram');
  const buckets = find(e, `${name}_bucket`, labels).map((s) => ({ le: s.labels.le, count: s.value }));
  const count = value(e, `${name}_count`, labels);
  const sum = value(e, `${name}_sum`, labels);
  expect(buckets.at(-1)).toEqual({ le: '+Inf', count });
  const bounds = buckets.map((b) => Number(b.le));
  expect(bounds).toEqual([...bounds].sort((a, b) => a - b));
  for (let i = 1; i < buckets.length; i++)
    expect(buckets[i].count).toBeGreaterThanOrEqual(buckets[i - 1].count);
  return { buckets, sum, count };
}

/**
 * Fills `outbox` (declaring `mail`, delivered, and `archive`, not delivered): 5 messages to `mail`
 * (2 of type `Bad`, which its handler rejects) and 3 to `archive`, in one transaction, and waits
 * until `mail` is empty with 2 dead letters and `archive` holds 3 sequenced messages.
 */
export async function fillAndSettle(db: TestDatabase, outbox: Outbox): Promise<void> {
  await db.transaction(async (tx) => {
    for (let i = 0; i < 5; i++)
      await outbox.enqueue(tx, 'mail', { type: i < 2 ? 'Bad' : 'Good', key: `k${i}`, payload: { i } });
    for (let i = 0; i < 3; i++) await outbox.enqueue(tx, 'archive', { type: 'Doc', payload: { i } });
  });
  await waitFor(
    async () => {
      const s = Object.fromEntries((await outbox.stats()).map((q) => [q.queue, q]));
      return s.mail?.depth === 0 && s.mail.deadLetters === 2 && s.archive?.lag === 3;
    },
    20_000,
    'the queues to settle',
  );
}
