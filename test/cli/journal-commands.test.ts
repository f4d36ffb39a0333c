import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coordinate, open } from '../../src/index.js';
import { pack } from '../../src/journal/codec.js';
import { tempDir, track } from '../helpers.js';
import { frameOffsets, seg, tamper } from '../journal/segment-files.js';
import { waitFor } from '../outbox/conformance.js';
import { cli, cliCommand, cliProcess } from './run-cli.js';

/** A closed journal: 12 deposits over 3 accounts, and a caused chain order -> payment -> receipt. */
function sampleJournal() {
  const dir = tempDir();
  const j = open(dir);
  for (let i = 0; i < 12; i++)
    j.append(coordinate(`acct:${i % 3}`, 'bank'), { type: 'Deposited', data: { i } });
  const placed = j.append(coordinate('order:1', 'shop'), { type: 'OrderPlaced', data: { total: 5n } });
  const paid = j.append(coordinate('order:1', 'shop'), { type: 'OrderPaid', data: {} }, { causedBy: placed });
  const mailed = j.append(
    coordinate('mail:1', 'shop'),
    { type: 'ReceiptMailed', data: {} },
    { causedBy: paid },
  );
  j.close();
  return { dir, placed, paid, mailed };
}

describe('causeway inspect, verify, tail and events', () => {
  it('inspect prints counts, segments, watermarks, the open report and the largest streams', () => {
    const { dir } = sampleJournal();
    const r = cli(['inspect', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/events\s+15\s+streams 5\s+segments 1/);
    expect(r.stdout).toContain('visible 15');
    expect(r.stdout).toMatch(/opened\s+by snapshot/);
    expect(r.stdout).toMatch(/acct:0\s+bank\s+4/);
    const json = JSON.parse(cli(['inspect', dir, '--json']).stdout);
    expect(json).toMatchObject({ stats: { events: 15, streams: 5 }, watermarks: { visible: 15 } });
    expect(json.streams[0]).toEqual({ entity: 'acct:0', scope: 'bank', events: 4 });
  });

  it('verify exits 0 on intact chains and 1 with the exact place of a break', () => {
    const { dir } = sampleJournal();
    expect(cli(['verify', dir])).toMatchObject({
      code: 0,
      stdout: 'ok: 15 events in 5 streams, every chain intact\n',
    });
    tamper(dir, 4, (r) => {
      r.data = pack({ i: 99 });
    });
    const r = cli(['verify', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^BROKEN: hash-mismatch in acct:1 version 1 \(position 5\) at segment 1 offset \d+/,
    );
    const json = JSON.parse(cli(['verify', dir, '--json']).stdout);
    expect(json).toMatchObject({ ok: false, firstBreak: { reason: 'hash-mismatch', position: 5 } });
  });

  it('verify exits 1 when damage lies past the index snapshot, where a read-only scan stops', () => {
    const { dir } = sampleJournal();
    const frames = frameOffsets(seg(dir));
    fs.rmSync(path.join(dir, 'index.snap'));
    const buf = fs.readFileSync(seg(dir));
    buf[frames[13] + 30] ^= 0x5a;
    fs.writeFileSync(seg(dir), buf);
    const r = cli(['verify', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^BROKEN: corrupt-frame at segment 1 offset ${frames[13]}: `));
    expect(JSON.parse(cli(['verify', dir, '--json']).stdout)).toMatchObject({
      ok: false,
      firstBreak: { reason: 'corrupt-frame', segment: 1, offset: frames[13] },
    });
  });

  it('checkpoints lists saved checkpoints, marks one ahead of the journal and resets it', () => {
    const { dir } = sampleJournal();
    const long = tempDir();
    const j = open(long);
    for (let i = 0; i < 30; i++) j.append(coordinate('x:1', 's'), { type: 'X', data: i });
    const cursor = j.cursor({ types: ['X'] }, { checkpointId: 'billing' });
    cursor.poll(100);
    cursor.commit();
    j.close();
    expect(cli(['checkpoints', dir]).stdout).toBe('no checkpoints\n');
    fs.cpSync(path.join(long, 'checkpoints'), path.join(dir, 'checkpoints'), { recursive: true });
    const listed = cli(['checkpoints', dir]);
    expect(listed.stdout).toMatch(/billing\s+30\s+ahead\s+\{"types":\["X"\]\}/);
    expect(listed.stdout).toContain('journal end 15');
    expect(cli(['checkpoints', dir, '--reset', 'billing']).stderr).toMatch(
      /^causeway: INVALID_ARGUMENT: --reset and --to go together/,
    );
    expect(cli(['checkpoints', dir, '--reset', 'billing', '--to', '99']).code).toBe(1);
    const reset = cli(['checkpoints', dir, '--reset', 'billing', '--to', '15', '--json']);
    expect(JSON.parse(reset.stdout)).toMatchObject({
      end: 15,
      checkpoints: [{ id: 'billing', position: 15, status: 'ok' }],
    });
  });

  it('verify draws a progress bar on a terminal', () => {
    const { dir } = sampleJournal();
    // `script` runs the command on a pseudo-terminal, as a person at a shell would.
    const quoted = cliCommand(['verify', dir])
      .map((a) => `'${a}'`)
      .join(' ');
    const r = spawnSync('script', ['-qec', quoted, '/dev/null'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('verifying [========================================] 100% 15/15 events');
    expect(r.stdout).toContain('ok: 15 events in 5 streams, every chain intact');
  });

  it('tail prints the latest events of a region, as lines or JSON', () => {
    const { dir } = sampleJournal();
    const last = cli(['tail', dir, '-n', '2']).stdout.trim().split('\n');
    expect(last).toHaveLength(2);
    expect(last[0]).toMatch(/^\s*14 .* order:1@1 {2}OrderPaid/);
    expect(last[1]).toMatch(/mail:1@0 {2}ReceiptMailed/);
    const deposits = cli(['tail', dir, '--region', 'prefix=acct,types=Deposited', '-n', '100', '--json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(deposits.map((e) => e.data.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const bigint = JSON.parse(cli(['tail', dir, '--region', 'types=OrderPlaced', '--json']).stdout);
    expect(bigint.data).toEqual({ total: '5' });
    const bad = cli(['tail', dir, '--region', 'color=blue']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^causeway: INVALID_ARGUMENT: option '--region <spec>' argument 'color=blue' is invalid\. unknown region key color/,
    );
  });

  it('tail --follow prints events as a writer in another process appends them', async () => {
    const { dir } = sampleJournal();
    const writer = track(open(dir));
    const child = cliProcess(['tail', dir, '-n', '1', '--follow', '--interval-ms', '20']);
    let out = '';
    child.stdout?.on('data', (b) => {
      out += b;
    });
    try {
      // The last event already there shows the child is following; what follows is appended after.
      await waitFor(() => out.includes('ReceiptMailed'), 20_000, 'the tail to start');
      writer.append(coordinate('acct:9', 'bank'), { type: 'Opened', data: {} });
      writer.appendBatch([
        { coordinate: coordinate('acct:9', 'bank'), event: { type: 'Deposited', data: { n: 1 } } },
        { coordinate: coordinate('acct:9', 'bank'), event: { type: 'Deposited', data: { n: 2 } } },
      ]);
      await waitFor(() => out.split('\n').filter(Boolean).length >= 4, 10_000, 'followed events');
      expect(out).toMatch(
        /ReceiptMailed[\s\S]*acct:9@0 {2}Opened[\s\S]*acct:9@1 {2}Deposited[\s\S]*acct:9@2 {2}Deposited/,
      );
      expect(out).not.toContain('acct:0');
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    }
  });

  it('events reads a stream and walks correlations, causes and effects', () => {
    const { dir, placed, paid, mailed } = sampleJournal();
    expect(cli(['events', dir, '--stream', 'order:1']).stdout).toMatch(/OrderPlaced[\s\S]*OrderPaid/);
    const correlated = cli(['events', dir, '--correlation', placed.id, '--json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l).type);
    expect(correlated).toEqual(['OrderPlaced', 'OrderPaid', 'ReceiptMailed']);
    const causes = cli(['events', dir, '--causes', mailed.id]).stdout.trim().split('\n');
    expect(causes.map((l) => /@\d+\s+(\S+)/.exec(l)?.[1])).toEqual(['OrderPaid', 'OrderPlaced']);
    const tree = cli(['events', dir, '--effects', placed.id]).stdout;
    expect(tree).toBe(
      `OrderPlaced order:1@0 (position 13, ${placed.id})\n` +
        `  OrderPaid order:1@1 (position 14, ${paid.id})\n` +
        `    ReceiptMailed mail:1@0 (position 15, ${mailed.id})\n`,
    );
    expect(JSON.parse(cli(['events', dir, '--effects', paid.id, '--json']).stdout).effects[0].event.id).toBe(
      mailed.id,
    );
  });

  it('output cut short by the reader (a pipe into head) ends the command quietly', () => {
    const { dir } = sampleJournal();
    const r = spawnSync(
      'bash',
      [
        '-c',
        `"$0" "$@" | head -c 10 > /dev/null; echo "\${PIPESTATUS[0]}" >&2`,
        ...cliCommand(['tail', dir, '-n', '15']),
      ],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr.trim()).toBe('0');
  });

  it('errors are one line and a non-zero exit', () => {
    const { dir } = sampleJournal();
    const cases = [
      ['inspect', `${dir}/nothing-here`],
      ['events', dir],
      ['events', dir, '--stream', 'a', '--causes', 'b'],
      ['events', dir, '--effects', 'not-a-uuid'],
      ['events', dir, '--effects', '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'],
      ['tail', dir, '-n', 'many'],
      ['inspect', dir, '--streams', '-1'],
    ];
    for (const args of cases) {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^causeway: /);
    }
  });
});
