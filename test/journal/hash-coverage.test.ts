import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AppendReceipt, coordinate, open } from '../../src/index.js';
import { tempDir, track } from '../helpers.js';
import { tamper } from './segment-files.js';

const c = coordinate('acct:1', 'bank');
const formatOne = path.resolve(import.meta.dirname, '../fixtures/journal-format-1');

function keyedJournal() {
  const dir = tempDir();
  const j = open(dir);
  j.append(c, { type: 'Opened', data: {} });
  const keyed = j.append(c, { type: 'Invoiced', data: { total: 5 } }, { idempotencyKey: 'invoice-507' });
  j.append(c, { type: 'Paid', data: {} });
  j.close();
  return { dir, keyed };
}

describe('the event hash covers every stored field', () => {
  it.each([
    [
      'the idempotency key',
      (r: { idemKey: string | null }) => {
        r.idemKey = 'invoice-508';
      },
    ],
    [
      'the idempotency digest',
      (r: { idemDigest: Buffer | null }) => {
        r.idemDigest = Buffer.alloc(16, 7);
      },
    ],
  ])('an edit of %s on disk, with the CRC recomputed, is a hash mismatch', (_name, edit) => {
    const { dir, keyed } = keyedJournal();
    tamper(dir, 1, edit as never);
    fs.rmSync(path.join(dir, 'index.snap'));
    const j = track(open(dir));
    expect(j.verify()).toMatchObject({ ok: false, firstBreak: { reason: 'hash-mismatch', position: 2 } });
    expect(j.verifyReceipt(keyed)).toMatchObject({ status: 'invalid', reason: 'event-tampered' });
  });
});

describe('journals written in the first frame format', () => {
  const copy = () => {
    const dir = tempDir();
    fs.copyFileSync(path.join(formatOne, '00000001.seg'), path.join(dir, '00000001.seg'));
    const { publicKeyPem, receipts } = JSON.parse(
      fs.readFileSync(path.join(formatOne, 'receipts.json'), 'utf8'),
    );
    return { dir, publicKeyPem: publicKeyPem as string, receipts: receipts as AppendReceipt[] };
  };

  it('keep verifying, and their signed receipts too', () => {
    const { dir, publicKeyPem, receipts } = copy();
    const j = track(open(dir, { receiptKeys: [publicKeyPem] }));
    expect(j.verify()).toMatchObject({ ok: true, events: 6 });
    for (const r of receipts) expect(j.verifyReceipt(r)).toMatchObject({ status: 'signed' });
    expect(j.readStream('acct:1').map((e) => e.type)).toEqual(['Opened', 'Deposited', 'Noted', 'Checked']);
  });

  it('deduplicate retries of their idempotency keys (their digests saw keys in the order given)', () => {
    const { dir } = copy();
    const j = track(open(dir));
    const retry = j.append(
      c,
      { type: 'Deposited', data: { a: 1, b: 2 }, metadata: { m: 1, n: 2 } },
      { idempotencyKey: 'dep-1' },
    );
    expect(retry).toMatchObject({ deduplicated: true, position: 2 });
    expect(() =>
      j.append(c, { type: 'Deposited', data: { a: 1, b: 3 } }, { idempotencyKey: 'dep-1' }),
    ).toThrow(expect.objectContaining({ code: 'IDEMPOTENCY_CONFLICT' }));
  });

  it('take new events in the current format and verify as one chain', () => {
    const { dir } = copy();
    const j = open(dir);
    j.append(c, { type: 'Closed', data: {} }, { idempotencyKey: 'close-1' });
    j.close();
    fs.rmSync(path.join(dir, 'index.snap'));
    const again = track(open(dir));
    expect(again.verify()).toMatchObject({ ok: true, events: 7 });
    expect(again.readStream('acct:1').at(-1)).toMatchObject({ type: 'Closed', streamVersion: 4 });
  });
});
