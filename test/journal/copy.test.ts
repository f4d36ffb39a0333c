/**
 * `causeway journal copy` both ways, on a journal with batches, extensions, signed receipts,
 * idempotency keys, causal links and upcast payloads: the copy holds the same events (ids,
 * positions, versions, hashes, stored payloads), verifies, answers old receipts and old keys.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type AppendReceipt,
  coordinate,
  generateReceiptKey,
  open,
  openPostgresJournal,
  type PayloadVersionDeclaration,
} from '../../src/index.js';
import { cli } from '../cli/run-cli.js';
import { tempDir } from '../helpers.js';
import { PG_URL } from '../outbox/databases.js';
import { journalSchemas } from './postgres/schemas.js';

const { available, admin, newSchema } = await journalSchemas();
const schema = newSchema('copy');

const placedV2: PayloadVersionDeclaration = {
  current: 2,
  upcasters: { 1: (d) => ({ amount: (d as { total: number }).total }) },
};

/** A journal with every kind of stored field, and the signed receipts it issued. */
function sourceJournal(dir: string, key: string): AppendReceipt[] {
  const j = open(dir, { receiptKeys: [key] });
  try {
    const order = coordinate('order:1', 'shop');
    const placed = j.append(
      order,
      { type: 'Placed', data: { total: 5 }, payloadVersion: 1 },
      { idempotencyKey: 'place-1' },
    );
    const batch = j.appendBatch([
      { coordinate: order, event: { type: 'Paid', data: { n: 1n } }, options: { causedBy: placed } },
      {
        coordinate: coordinate('ship:1', 'shop'),
        event: { type: 'Requested', data: {} },
        options: { causedByItem: 0 },
      },
    ]);
    const bypassed = j.append(
      coordinate('acct:9', 'bank'),
      { type: 'Adjusted', data: { by: -3 }, metadata: { who: 'ops' } },
      { bypass: { name: 'migration', justification: 'backfill' } },
    );
    return [placed, ...batch, bypassed];
  } finally {
    j.close();
  }
}

describe.skipIf(!available)('causeway journal copy', () => {
  it('copies a directory into PostgreSQL and back, keeping ids, positions, hashes, receipts and keys', async () => {
    const key = generateReceiptKey();
    const dir = tempDir();
    const receipts = sourceJournal(dir, key.privateKeyPem);
    const original = open(dir, { receiptKeys: [key.privateKeyPem] });
    original.declarePayloadVersion('Placed', placedV2);
    const events = original.readAll().events;
    original.close();

    const toPg = cli(['journal', 'copy', dir, PG_URL, '--to-schema', schema]);
    expect(toPg.stderr).toBe('');
    expect(toPg.stdout).toContain('copied 4 events');
    expect(toPg.stdout).toContain('verify: ok');

    const inPg = await openPostgresJournal(PG_URL, { schema, receiptKeys: [key.privateKeyPem] });
    try {
      inPg.declarePayloadVersion('Placed', placedV2);
      expect((await inPg.readAll()).events).toEqual(events);
      for (const r of receipts) expect((await inPg.verifyReceipt(r)).status).toBe('signed');
      // An old idempotency key answers with the original, and the chain goes on where it ended.
      const again = await inPg.append(
        coordinate('order:1', 'shop'),
        { type: 'Placed', data: { total: 5 }, payloadVersion: 1 },
        { idempotencyKey: 'place-1' },
      );
      expect(again).toMatchObject({ id: receipts[0].id, deduplicated: true });
      const next = await inPg.append(
        coordinate('order:1', 'shop'),
        { type: 'Shipped', data: {} },
        { expectedVersion: 1 },
      );
      expect(next).toMatchObject({ position: 5, streamVersion: 2 });
      expect((await inPg.verify()).ok).toBe(true);
    } finally {
      await inPg.close();
    }

    const back = path.join(tempDir(), 'restored');
    const toDir = cli(['journal', 'copy', PG_URL, back, '--from-schema', schema]);
    expect(toDir.stderr).toBe('');
    expect(toDir.stdout).toContain('copied 5 events');
    const restored = open(back, { receiptKeys: [key.privateKeyPem] });
    try {
      restored.declarePayloadVersion('Placed', placedV2);
      expect(restored.readAll().events.slice(0, 4)).toEqual(events);
      expect(restored.verify().ok).toBe(true);
      for (const r of receipts) expect(restored.verifyReceipt(r).status).toBe('signed');
      expect(restored.readStream('order:1').map((e) => e.type)).toEqual(['Placed', 'Paid', 'Shipped']);
    } finally {
      restored.close();
    }
  });

  it('refuses a target that holds events, a source with a broken chain, and a database that is not PostgreSQL', async () => {
    const key = generateReceiptKey();
    const dir = tempDir();
    sourceJournal(dir, key.privateKeyPem);
    const full = tempDir();
    sourceJournal(full, key.privateKeyPem);
    const into = cli(['journal', 'copy', dir, full]);
    expect(into.code).toBe(1);
    expect(into.stderr).toMatch(/INVALID_ARGUMENT: .* holds a journal already/);

    const brokenSchema = `${schema}_b`;
    try {
      expect(cli(['journal', 'copy', dir, PG_URL, '--to-schema', brokenSchema]).code).toBe(0);
      await admin.query(`ALTER TABLE ${brokenSchema}.events DISABLE TRIGGER events_append_only`);
      await admin.query(`UPDATE ${brokenSchema}.events SET data = '\\xc0' WHERE entity = 'ship:1'`);
      const target = path.join(tempDir(), 'copy');
      const broken = cli(['journal', 'copy', PG_URL, target, '--from-schema', brokenSchema]);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/CORRUPT_DATA: .*position 3 \(ship:1 version 0\)/);
      // The copy never takes a broken event: what it holds verifies.
      const partial = open(target);
      expect(partial.verify().ok).toBe(true);
      partial.close();
    } finally {
      await admin.query(`DROP SCHEMA IF EXISTS ${brokenSchema} CASCADE`);
    }
    const mysql = cli(['journal', 'copy', dir, 'mysql://root@127.0.0.1/test']);
    expect(mysql.stderr).toMatch(/INVALID_ARGUMENT: a journal is kept in a directory or in PostgreSQL/);
    expect(fs.existsSync(dir)).toBe(true);
  });
});
