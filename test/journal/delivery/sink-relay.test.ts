import { describe, expect, it } from 'vitest';
import { coordinate, type SinkRecord } from '../../../src/index.js';
import { freshJournal } from '../../helpers.js';
import { eventually } from '../../sinks/brokers.js';

describe('relay from the embedded journal to a sink', () => {
  it('publishes only events already on disk, so a power cut never leaves the broker ahead of the journal', async () => {
    const { journal } = freshJournal({ fsyncIntervalMs: 0 }); // nothing fsyncs in the background
    const undurable: number[] = [];
    let published = 0;
    const sink = {
      name: 'mem:durable',
      publish: async (records: readonly SinkRecord[]) => {
        const { durable } = journal.watermarks();
        for (const r of records) if (r.position! > durable) undurable.push(r.position!);
        published += records.length;
      },
      close: async () => {},
    };
    for (let i = 0; i < 10; i++)
      journal.append(coordinate(`order:${i}`, 'shop'), { type: 'Placed', data: { i } });
    expect(journal.watermarks().durable).toBe(0);
    const relay = journal.sinkTo(sink, { checkpointId: 'durable', batchSize: 4 });
    await eventually(() => published === 10, 10_000, 'published events');
    await relay.stopAndJoin();
    expect(undurable).toEqual([]);
  });
});

describe('journal events as sink records', () => {
  it('carry bigints as decimal strings and nested bytes as base64, so no event is beyond publishing', async () => {
    const { journal } = freshJournal();
    journal.append(coordinate('order:1', 'shop'), {
      type: 'Placed',
      data: { total: 12345678901234567890n, blob: new Uint8Array([1, 2, 3]) },
    });
    const records: SinkRecord[] = [];
    const relay = journal.sinkTo(
      { name: 'mem:json', publish: async (r) => void records.push(...r), close: async () => {} },
      { checkpointId: 'json' },
    );
    await eventually(() => records.length === 1, 10_000, 'the record');
    await relay.stopAndJoin();
    expect(JSON.parse(new TextDecoder().decode(records[0].payload))).toEqual({
      total: '12345678901234567890',
      blob: { base64: 'AQID' },
    });
  });
});
