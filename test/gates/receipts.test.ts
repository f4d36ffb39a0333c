import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type AppendReceipt,
  coordinate,
  gate,
  gateSet,
  generateReceiptKey,
  keyIdOf,
  open,
  openReadOnly,
  permit,
  type SignableReceipt,
  verifyReceiptStandalone,
} from '../../src/index.js';
import { pack } from '../../src/journal/codec.js';
import { freshJournal, tempDir, track } from '../helpers.js';
import { tamper } from '../journal/segment-files.js';

const acct = coordinate('acct:1', 'bank');
const deposit = (n: number) => ({ type: 'Deposited', data: { amount: n } });
/** The hex string with its first digit changed. */
const flipHex = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

describe('signed receipts', () => {
  it('every append receipt is signed by the newest key and verifies', () => {
    const key = generateReceiptKey();
    const { journal } = freshJournal({ receiptKeys: [key.privateKeyPem] });
    const single = journal.append(acct, deposit(1));
    const batch = journal.appendBatch([
      { coordinate: acct, event: deposit(2) },
      { coordinate: acct, event: deposit(3) },
    ]);
    expect(journal.signingKeyId).toBe(key.keyId);
    for (const r of [single, ...batch]) {
      expect(r.signature).toMatchObject({ algorithm: 'ed25519', keyId: key.keyId });
      expect(journal.verifyReceipt(r)).toEqual({ status: 'signed', keyId: key.keyId });
    }
    expect(key.keyId).toBe(keyIdOf(key.publicKey));
    expect(key.keyId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('every way of appending returns a signed receipt', async () => {
    const key = generateReceiptKey();
    const { journal } = freshJournal({ receiptKeys: [key.privateKey] });
    const open = gateSet<null>([gate('always', () => permit())]);
    const verdict = open.evaluate(null, { coordinate: acct, event: deposit(6) });
    if (!verdict.permitted) throw new Error('expected a permit');
    const receipts = [
      journal.append(acct, deposit(1)),
      await journal.appendAsync(acct, deposit(2)),
      ...journal.appendBatch([{ coordinate: acct, event: deposit(3) }]),
      ...(await journal.appendBatchAsync([{ coordinate: acct, event: deposit(4) }])),
      journal.append(acct, deposit(5), { gates: open, context: null }),
      journal.commit(verdict.receipt),
      journal.appendDenial(acct, { gate: 'limit', code: 'over', message: 'too much', context: {} }),
    ];
    receipts.push(journal.receiptFor(receipts[0].id));
    for (const r of receipts)
      expect(journal.verifyReceipt(r), r.type).toEqual({ status: 'signed', keyId: key.keyId });
  });

  it('receipts of one batch, or of async appends in one turn, share a signature over a tree', async () => {
    const key = generateReceiptKey();
    const { journal } = freshJournal({ receiptKeys: [key.privateKey] });
    const batch = journal.appendBatch(
      [1, 2, 3, 4, 5].map((n) => ({ coordinate: coordinate(`acct:${n}`, 'bank'), event: deposit(n) })),
    );
    expect(new Set(batch.map((r) => r.signature?.value)).size).toBe(1);
    expect(batch.map((r) => r.signature?.proof?.index)).toEqual([0, 1, 2, 3, 4]);
    expect(batch.map((r) => r.signature?.proof?.path.length)).toEqual([3, 3, 3, 3, 1]);
    for (const r of batch) expect(journal.verifyReceipt(r)).toEqual({ status: 'signed', keyId: key.keyId });

    const concurrent = await Promise.all([1, 2, 3].map((n) => journal.appendAsync(acct, deposit(n))));
    expect(new Set(concurrent.map((r) => r.signature?.value)).size).toBe(1);
    expect(concurrent.map((r) => r.signature?.proof?.size)).toEqual([3, 3, 3]);
    const durable = await journal.appendBatchAsync([{ coordinate: acct, event: deposit(9) }], {
      durable: true,
    });
    for (const r of [...concurrent, ...durable])
      expect(journal.verifyReceipt(r)).toEqual({ status: 'signed', keyId: key.keyId });

    // A proof that does not lead to the signed root fails the signature.
    const r = batch[2];
    const sig = r.signature!;
    const proof = sig.proof!;
    const forged = [
      { ...proof, index: 1 },
      { ...proof, size: 4 },
      { ...proof, index: 7 },
      { ...proof, path: [...proof.path.slice(0, 2), flipHex(proof.path[2])] },
      { ...proof, path: proof.path.slice(1) },
      { ...proof, path: [...proof.path, proof.path[0]] },
    ];
    for (const p of forged)
      expect(
        journal.verifyReceipt({ ...r, signature: { ...sig, proof: p } }),
        JSON.stringify(p),
      ).toMatchObject({
        reason: 'bad-signature',
      });
    expect(journal.verifyReceipt({ ...r, signature: { ...sig, proof: undefined } })).toMatchObject({
      reason: 'bad-signature',
    });
  });

  it('receipts of a journal without keys are unsigned and still checked against the event', () => {
    const { journal } = freshJournal();
    const r = journal.append(acct, deposit(1));
    expect(r.signature).toBeUndefined();
    expect(journal.verifyReceipt(r)).toEqual({ status: 'unsigned' });
    expect(journal.verifyReceipt({ ...r, position: 9 })).toMatchObject({
      status: 'invalid',
      field: 'position',
    });
  });

  it('every tampering of a receipt is detected with the right reason', () => {
    const key = generateReceiptKey();
    const { journal } = freshJournal({ receiptKeys: [key.privateKey] });
    journal.append(acct, deposit(1));
    const r = journal.append(acct, deposit(2), { extensions: { 'acme.ticket': 'T-17' } });
    const other = journal.append(coordinate('acct:2', 'bank'), deposit(3));
    const sig = r.signature!;
    const verdict = (changed: Partial<Record<keyof SignableReceipt, unknown>>) =>
      journal.verifyReceipt({ ...r, ...changed } as SignableReceipt);

    expect(verdict({ id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' })).toMatchObject({
      reason: 'missing-event',
    });
    expect(verdict({ id: 'not-an-id' })).toMatchObject({ reason: 'missing-event' });
    expect(verdict({ id: other.id })).toMatchObject({ reason: 'field-mismatch' });
    const fields: [keyof SignableReceipt, unknown][] = [
      ['position', r.position + 1],
      ['entity', 'acct:9'],
      ['scope', 'other'],
      ['type', 'Withdrawn'],
      ['streamVersion', 7],
      ['prevHash', '00'.repeat(32)],
      ['hash', other.hash],
      ['extensions', { 'acme.ticket': 'T-18' }],
      ['extensions', undefined],
    ];
    for (const [field, value] of fields)
      expect(verdict({ [field]: value }), field).toMatchObject({
        status: 'invalid',
        reason: 'field-mismatch',
        field,
      });
    expect(verdict({ signature: { ...sig, keyId: 'ab'.repeat(32) } })).toMatchObject({
      reason: 'unknown-key',
    });
    expect(verdict({ signature: { ...sig, value: other.signature!.value } })).toMatchObject({
      reason: 'bad-signature',
    });
    expect(verdict({ signature: { ...sig, value: 'AAAA' } })).toMatchObject({ reason: 'bad-signature' });
    expect(verdict({ signature: undefined })).toEqual({ status: 'unsigned' });
    expect(verdict({})).toEqual({ status: 'signed', keyId: key.keyId });
  });

  it('a rewritten stored event is detected, whether or not its CRC was forged', () => {
    const key = generateReceiptKey();
    const dir = tempDir();
    const j = open(dir, { receiptKeys: [key.privateKey] });
    const receipts = [1, 2, 3].map((n) => j.append(acct, deposit(n), { extensions: { 'acme.n': n } }));
    j.close();

    tamper(dir, 1, (rec) => {
      rec.data = pack({ amount: 9 });
    });
    tamper(dir, 2, (rec) => {
      rec.extensions = Buffer.from(rec.extensions!.toString().replace('3', '4'));
    });
    const reopened = track(open(dir, { receiptKeys: [key.privateKey] }));
    expect(reopened.verifyReceipt(receipts[0])).toEqual({ status: 'signed', keyId: key.keyId });
    for (const r of receipts.slice(1))
      expect(reopened.verifyReceipt(r)).toMatchObject({ status: 'invalid', reason: 'event-tampered' });
    expect(reopened.verify()).toMatchObject({
      ok: false,
      firstBreak: { reason: 'hash-mismatch', position: 2 },
    });
  });

  it('a damaged frame (CRC mismatch) reads as a tampered event, not an exception', async () => {
    const fs = await import('node:fs');
    const { seg, frameOffsets } = await import('../journal/segment-files.js');
    const dir = tempDir();
    const j = open(dir);
    const r = [1, 2].map((n) => j.append(acct, deposit(n)));
    j.close();
    const buf = fs.readFileSync(seg(dir));
    buf[frameOffsets(seg(dir))[0] + 30] ^= 0x5a;
    fs.writeFileSync(seg(dir), buf);
    const reader = track(openReadOnly(dir));
    expect(reader.verifyReceipt(r[0])).toMatchObject({ status: 'invalid', reason: 'event-tampered' });
    expect(reader.verifyReceipt(r[1])).toEqual({ status: 'unsigned' });
  });

  it('keys rotate: the newest signs, old receipts still verify, a dropped key is unknown', () => {
    const k1 = generateReceiptKey();
    const k2 = generateReceiptKey();
    const dir = tempDir();
    const first = open(dir, { receiptKeys: [k1.privateKey] });
    const old = first.append(acct, deposit(1));
    first.close();

    // The old key is kept as a public key only: it verifies and no longer signs.
    const rotated = open(dir, { receiptKeys: [k1.publicKeyPem, k2.privateKeyPem] });
    const fresh = rotated.append(acct, deposit(2));
    expect(fresh.signature?.keyId).toBe(k2.keyId);
    expect(rotated.verifyReceipt(old)).toEqual({ status: 'signed', keyId: k1.keyId });
    expect(rotated.verifyReceipt(fresh)).toEqual({ status: 'signed', keyId: k2.keyId });
    expect(rotated.receiptFor(old.id).signature?.keyId).toBe(k2.keyId);
    rotated.close();

    const onlyNew = track(openReadOnly(dir, { receiptKeys: [k2.publicKey] }));
    expect(onlyNew.verifyReceipt(old)).toMatchObject({ status: 'invalid', reason: 'unknown-key' });
    expect(onlyNew.verifyReceipt(fresh)).toEqual({ status: 'signed', keyId: k2.keyId });
    expect(onlyNew.signingKeyId).toBeNull();
    const noKeys = track(openReadOnly(dir));
    expect(noKeys.verifyReceipt(fresh)).toMatchObject({ status: 'invalid', reason: 'unknown-key' });
  });

  it('a receipt verifies standalone from the receipt, the event and the public key (as JSON, too)', () => {
    const key = generateReceiptKey();
    const { journal } = freshJournal({ receiptKeys: [key.privateKey] });
    const receipt = journal.append(acct, deposit(5), {
      extensions: { 'acme.approval': { by: 'ann', at: 3.5 } },
    });
    const exported = JSON.parse(JSON.stringify({ receipt, event: journal.get(receipt.id) }));
    expect(verifyReceiptStandalone(exported.receipt, exported.event, key.publicKeyPem)).toEqual({
      status: 'signed',
      keyId: key.keyId,
    });
    expect(
      verifyReceiptStandalone(exported.receipt, { ...exported.event, type: 'Withdrawn' }, key.publicKeyPem),
    ).toMatchObject({ reason: 'field-mismatch', field: 'type' });
    expect(verifyReceiptStandalone(exported.receipt, undefined, key.publicKeyPem)).toMatchObject({
      reason: 'missing-event',
    });
    expect(
      verifyReceiptStandalone(exported.receipt, exported.event, generateReceiptKey().publicKey),
    ).toMatchObject({
      reason: 'unknown-key',
    });
  });

  it('the signature covers every field: changed alike in receipt and event, it no longer verifies', () => {
    const key = generateReceiptKey();
    const { journal } = freshJournal({ receiptKeys: [key.privateKey] });
    journal.append(acct, deposit(1));
    const receipt = journal.append(acct, deposit(2), { extensions: { 'acme.n': 1 } });
    const event = journal.get(receipt.id)!;
    const changes: Partial<SignableReceipt>[] = [
      { id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' },
      { position: 99 },
      { entity: 'acct:2' },
      { scope: 'elsewhere' },
      { type: 'Withdrawn' },
      { streamVersion: 5 },
      { prevHash: 'ff'.repeat(32) },
      { hash: 'ee'.repeat(32) },
      { extensions: { 'acme.n': 2 } },
    ];
    for (const change of changes)
      expect(
        verifyReceiptStandalone({ ...receipt, ...change }, { ...event, ...change }, key.publicKey),
        Object.keys(change)[0],
      ).toMatchObject({ reason: 'bad-signature' });
  });

  it('an idempotent retry returns the same extensions and the same signature', () => {
    const key = generateReceiptKey();
    const { journal } = freshJournal({ receiptKeys: [key.privateKey] });
    const opts = { idempotencyKey: 'dep-1', extensions: { 'acme.request': 'r-1' } };
    const first = journal.append(acct, deposit(5), opts);
    const retry: AppendReceipt = journal.append(acct, deposit(5), {
      ...opts,
      extensions: { 'acme.request': 'r-2' },
    });
    expect(retry.deduplicated).toBe(true);
    expect(retry.extensions).toEqual({ 'acme.request': 'r-1' });
    expect(retry.signature).toEqual(first.signature);
    expect(journal.stats().events).toBe(1);
  });

  it('refuses keys that are not Ed25519 and empty key lists', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => freshJournal({ receiptKeys: [rsa] })).toThrow(/Ed25519/);
    expect(() => freshJournal({ receiptKeys: [] })).toThrow(/non-empty/);
    expect(() => freshJournal({ receiptKeys: ['not a pem'] })).toThrow(/PEM/);
  });
});

describe('receipt extensions', () => {
  it('are stored with the event, survive reopening and reach read-only readers', () => {
    const dir = tempDir();
    const j = open(dir);
    const ext = { 'acme.ticket': 'T-17', 'acme.meta': { tags: ['a', 'b'], n: 1.25, ok: true, none: null } };
    const r = j.append(acct, deposit(1), { extensions: ext });
    expect(r.extensions).toEqual(ext);
    const reader = track(openReadOnly(dir));
    expect(reader.get(r.id)?.extensions).toEqual(ext);
    j.close();
    const again = track(open(dir));
    expect(again.get(r.id)?.extensions).toEqual(ext);
    expect(again.readAll().events[0].extensions).toEqual(ext);
    expect(again.verify().ok).toBe(true);
  });

  it("a receipt holds a copy of the extensions: changing the caller's object changes nothing signed", async () => {
    const key = generateReceiptKey();
    const { journal } = freshJournal({ receiptKeys: [key.privateKey] });
    const ext = { 'acme.t': 'x', 'acme.nested': { n: 1 } };
    const pending = journal.appendAsync(acct, deposit(1), { extensions: ext });
    ext['acme.t'] = 'y';
    ext['acme.nested'].n = 2;
    const receipt = await pending;
    expect(receipt.extensions).toEqual({ 'acme.t': 'x', 'acme.nested': { n: 1 } });
    expect(journal.verifyReceipt(receipt)).toEqual({ status: 'signed', keyId: key.keyId });
  });

  it('bad extensions are refused and change nothing', () => {
    const { journal } = freshJournal();
    const bad: unknown[] = [
      { ticket: 'no namespace' },
      { 'Acme.Ticket': 'upper case' },
      { 'causeway.gates': ['forged'] },
      { 'acme.when': new Date() },
      { 'acme.n': Number.NaN },
      { 'acme.big': 'x'.repeat(5000) },
      ['acme.list'],
    ];
    for (const extensions of bad)
      expect(
        () => journal.append(acct, deposit(1), { extensions: extensions as never }),
        JSON.stringify(extensions),
      ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(journal.stats().events).toBe(0);
  });
});
