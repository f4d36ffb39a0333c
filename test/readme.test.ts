import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TSX_LOADER, tempDir } from './helpers.js';

const root = path.resolve(import.meta.dirname, '..');

/** Runs the first TypeScript block under the README heading `heading` and returns its output. */
function runSection(heading: string): string {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const code = new RegExp(`## ${heading}\\n\\n\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
  expect(code, heading).toBeDefined();
  const file = path.join(root, 'test', `.readme-${process.pid}-${heading.replace(/\W+/g, '-')}.ts`);
  fs.writeFileSync(file, code!.replace("from 'causeway'", "from '../src/index.js'"));
  try {
    return execFileSync(process.execPath, ['--import', TSX_LOADER, file], {
      cwd: tempDir(),
      encoding: 'utf8',
    });
  } finally {
    fs.rmSync(file, { force: true });
  }
}

describe('README', () => {
  it('quickstart runs as written', () => {
    const out = runSection('Quickstart: the journal');
    expect(out).toContain("'0 OrderPlaced'");
    expect(out).toContain("'3 OrderClosed'");
    expect(out).toContain("[ 'OrderPlaced', 'OrderPaid', 'Reserved', 'Requested' ]");
    expect(out.trim().endsWith('true')).toBe(true);
  });

  it('consumer example runs as written', () => {
    const out = runSection('Following the journal');
    expect(out).toContain('billing 3 orders (durable checkpoint: true)');
    expect(out).toContain('live 3');
    expect(out).toContain('shipments 3');
    expect(out).toContain('revenue 60');
  });

  it('gates and receipts example runs as written', () => {
    const out = runSection('Gates and signed receipts');
    expect(out).toContain('denied credit-limit over-limit');
    expect(out).toContain("gates [ 'customer-known', 'credit-limit' ]");
    expect(out).toContain('journal says signed');
    expect(out).toContain('auditor says signed');
    expect(out).toContain('tampered receipt: field-mismatch');
  });

  it('outbox quickstart runs as written', () => {
    expect(runSection('Quickstart: the outbox')).toContain(
      'send OrderConfirmation for order-507 { total: 42 }',
    );
  });
});
