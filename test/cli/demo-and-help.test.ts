import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openReadOnly } from '../../src/index.js';
import { tempDir, track } from '../helpers.js';
import { cli } from './run-cli.js';

describe('causeway demo', () => {
  it('runs the order workflow end to end, and a second run continues the same journal', () => {
    const dir = path.join(tempDir(), 'demo');
    const first = cli(['demo', dir]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const out = first.stdout;
    expect(out).toContain('first run, 0 events so far');
    expect(out).toContain('place order:1 for ada: accepted by customer-known, in-stock, credit-limit');
    expect(out).toContain(
      'place order:3 for linus: DENIED by credit-limit (900 is over the limit of 600); denial recorded',
    );
    for (const d of [
      'OrderPlaced order:1',
      'OrderPaid order:1',
      'OrderPlaced order:2',
      'ShipmentRequested order:1',
    ])
      expect(out).toContain(`delivered ${d}`);
    expect(out).toContain('summary  2 placed, 1 paid, 2 shipments requested, 1 denied, revenue 120');
    expect(out).toContain('chains   intact: 8 events in 7 streams');
    expect(out).toMatch(/receipt {2}\S+: signed by key [0-9a-f]{16}/);
    expect(out).toMatch(
      /causal tree of order:1\n {2}OrderPlaced order:1@0 \(position 1\)\n {4}OrderPaid order:1@1[^\n]*\n {4}StockReserved stock:lamp@0[^\n]*\n {4}ShipmentRequested shipment:order:1@0/,
    );

    const second = cli(['demo', dir]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('continuing, 8 events so far');
    expect(second.stdout).toContain('place order:4 for ada');
    expect(second.stdout).not.toContain('delivered OrderPlaced order:1');
    expect(second.stdout).toContain(
      'summary  4 placed, 2 paid, 4 shipments requested, 2 denied, revenue 240',
    );

    // What the demo wrote is a real journal: the denial is an event, the bypassed reactions say why.
    const journal = track(openReadOnly(path.join(dir, 'journal')));
    const [denial] = journal.readStream('order:3');
    expect(denial).toMatchObject({
      type: 'causeway.denied',
      data: { gate: 'credit-limit', code: 'over-credit-limit' },
    });
    expect(journal.readStream('shipment:order:1')[0].extensions).toMatchObject({
      'causeway.bypass': { name: 'derived-events' },
    });
    expect(fs.existsSync(path.join(dir, 'outbox.db'))).toBe(true);
  });
});

describe('causeway --help', () => {
  const commands = [
    ['demo'],
    ['inspect'],
    ['verify'],
    ['tail'],
    ['events'],
    ['checkpoints'],
    ['metrics'],
    ['outbox'],
    ['outbox', 'status'],
    ['outbox', 'dead-letters'],
    ['outbox', 'redrive'],
    ['outbox', 'purge'],
    ['outbox', 'migrate'],
    ['outbox', 'schema'],
    ['doctor'],
    ['bench'],
  ];
  /** Commands whose help ends with examples to copy. */
  const withExamples = [
    [],
    ['inspect'],
    ['metrics'],
    ['outbox'],
    ['outbox', 'migrate'],
    ['outbox', 'schema'],
    ['doctor'],
  ];
  it('every command explains itself', () => {
    const top = cli(['--help']);
    expect(top.code).toBe(0);
    for (const c of [
      'demo',
      'inspect',
      'verify',
      'tail',
      'events',
      'checkpoints',
      'metrics',
      'outbox',
      'doctor',
      'bench',
    ])
      expect(top.stdout).toContain(c);
    for (const c of commands) {
      const r = cli([...c, '--help']);
      expect(r.code, c.join(' ')).toBe(0);
      expect(r.stdout, c.join(' ')).toContain(`Usage: causeway ${c.join(' ')}`);
    }
  });

  it('the program and the commands people start with show examples', () => {
    for (const c of withExamples) {
      const r = cli([...c, '--help']);
      // Each example is a whole command line of this very command.
      const examples = r.stdout.split('\nExamples:\n')[1]?.trim().split('\n') ?? [];
      expect(examples.length, c.join(' ')).toBeGreaterThanOrEqual(2);
      for (const line of examples)
        expect(line.trim(), c.join(' ')).toMatch(new RegExp(`^\\$ (\\S+=\\S+ )?causeway ${c.join(' ')}`));
    }
  });

  it('an unknown command or option is one error line and a non-zero exit', () => {
    const r = cli(['frobnicate']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^causeway: INVALID_ARGUMENT: unknown command 'frobnicate'\n$/);
    expect(cli(['inspect', '.', '--colour']).stderr).toMatch(
      /^causeway: INVALID_ARGUMENT: unknown option '--colour'\n$/,
    );
  });
});

describe('causeway bench', () => {
  it('runs the benchmark suite of the checkout', () => {
    const none = cli(['bench', '--only', 'no-such-case']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no benchmark matches --only no-such-case');
    const r = cli(['bench', '--json', '--only', 'worker.notify']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ bench: 'worker.notify', met: expect.any(Boolean) });
  });
});
