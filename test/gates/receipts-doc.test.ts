/**
 * docs/receipts.md, followed literally: the receipt message, leaf, root and root message rebuilt by
 * the few lines of independent code below (no Causeway code), and the signature checked with the
 * document's openssl command.
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { type AppendReceipt, coordinate, generateReceiptKey, open } from '../../src/index.js';
import { tempDir, track } from '../helpers.js';

type Receipt = Omit<AppendReceipt, 'deduplicated'>;

const doc = fs.readFileSync(path.resolve(import.meta.dirname, '../../docs/receipts.md'), 'utf8');
const blocks = [...doc.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const lp = (s: string) => `${Buffer.byteLength(s, 'utf8')}:${s}`;

/** Step 1. */
function message(r: Receipt): Buffer {
  const lines = [
    'causeway-receipt-v2',
    r.id,
    r.position,
    lp(r.entity),
    lp(r.scope),
    lp(r.type),
    r.streamVersion,
    r.prevHash,
    r.hash,
  ];
  const ext = r.extensions && Object.keys(r.extensions).length > 0 ? canonicalize(r.extensions)! : '';
  return Buffer.from(`${lines.map((l) => `${l}\n`).join('')}${ext}`, 'utf8');
}

/** Step 2. */
function root(r: Receipt): Buffer {
  const { index = 0, size = 1, path: hexPath = [] } = r.signature!.proof ?? {};
  const siblings = hexPath.map((h) => Buffer.from(h, 'hex'));
  let node = sha256(Buffer.from([0]), message(r));
  let next = 0;
  for (let i = index, width = size; width > 1; i = Math.floor(i / 2), width = Math.ceil(width / 2)) {
    if (i % 2 === 1) node = sha256(Buffer.from([1]), siblings[next++], node);
    else if (i + 1 < width) node = sha256(Buffer.from([1]), node, siblings[next++]);
  }
  expect(next).toBe(siblings.length);
  return node;
}

/** Step 3 and the openssl command, as the document gives them. */
function opensslVerifies(r: Receipt, publicKeyPem: string): boolean {
  const dir = tempDir();
  const size = r.signature!.proof?.size ?? 1;
  fs.writeFileSync(path.join(dir, 'journal-public.pem'), publicKeyPem);
  const script = [
    `printf 'causeway-receipt-root-v1\\n%s\\n%s\\n%s' "$KEY_ID" "$SIZE" "$ROOT" > root.txt`,
    `printf '%s==' "$SIG" | tr '_-' '/+' | base64 -d > sig.bin`,
    'openssl pkeyutl -verify -pubin -inkey journal-public.pem -rawin -in root.txt -sigfile sig.bin',
  ].join('\n');
  try {
    const out = execFileSync('sh', ['-c', script], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        KEY_ID: r.signature!.keyId,
        SIZE: String(size),
        ROOT: root(r).toString('hex'),
        SIG: r.signature!.value,
      },
    });
    return out.includes('Signature Verified Successfully');
  } catch {
    return false;
  }
}

const keyIdOf = (pem: string) =>
  sha256((createPublicKey(pem).export({ format: 'der', type: 'spki' }) as Buffer).subarray(-32)).toString(
    'hex',
  );

describe('docs/receipts.md, followed literally', () => {
  it('its worked example: the message, leaf, root and signature are as the document says', () => {
    const receipt = JSON.parse(blocks.find((b) => b.lang === 'json')!.text) as Receipt;
    const publicKeyPem = blocks.find((b) => b.text.startsWith('-----BEGIN PUBLIC KEY-----'))!.text;
    const shown = blocks.find((b) => b.text.startsWith('causeway-receipt-v2\n'))!.text.replace(/\n$/, '');
    expect(message(receipt).toString('utf8')).toBe(shown);
    expect(doc).toContain(sha256(Buffer.from([0]), message(receipt)).toString('hex'));
    expect(doc).toContain(root(receipt).toString('hex'));
    expect(keyIdOf(publicKeyPem)).toBe(receipt.signature!.keyId);
    expect(opensslVerifies(receipt, publicKeyPem)).toBe(true);
    const altered = { ...receipt, position: 44 };
    expect(opensslVerifies(altered, publicKeyPem)).toBe(false);
  });

  it('receipts of a journal: a single append, a batch and async appends sharing a signature', async () => {
    const key = generateReceiptKey();
    const journal = track(open(tempDir(), { receiptKeys: [key.privateKeyPem] }));
    const c = coordinate('kaffee:größe', 'läden');
    const single = journal.append(
      c,
      { type: 'Bestellt', data: { n: 1 } },
      { extensions: { 'shop.note': 'ünicode' } },
    );
    const batch = journal.appendBatch(
      Array.from({ length: 5 }, (_, i) => ({ coordinate: c, event: { type: 'Geliefert', data: { i } } })),
    );
    const shared = await Promise.all(
      Array.from({ length: 3 }, (_, i) =>
        journal.appendAsync(coordinate(`x:${i}`, 's'), { type: 'A', data: i }),
      ),
    );
    expect(single.signature!.proof).toBeUndefined();
    expect(batch[4].signature!.proof).toMatchObject({ index: 4, size: 5 });
    expect(shared[0].signature!.proof).toMatchObject({ size: 3 });
    expect(keyIdOf(key.publicKeyPem)).toBe(single.signature!.keyId);
    for (const r of [single, ...batch, ...shared]) expect(opensslVerifies(r, key.publicKeyPem)).toBe(true);
    expect(opensslVerifies({ ...single, entity: 'kaffee:grösse' }, key.publicKeyPem)).toBe(false);
  });
});
