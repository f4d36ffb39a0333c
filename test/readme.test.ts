import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const root = path.resolve(import.meta.dirname, '..');
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describe('README', () => {
  it('quickstart runs as written', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const code = /## Quickstart: the journal\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    const dir = tempDir();
    const file = path.join(root, 'test', `.quickstart-${process.pid}.ts`);
    fs.writeFileSync(file, code!.replace("from 'causeway'", "from '../src/index.js'"));
    try {
      const out = execFileSync(process.execPath, ['--import', tsxLoader, file], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(out).toContain("'0 OrderPlaced'");
      expect(out).toContain("'3 OrderClosed'");
      expect(out).toContain("[ 'OrderPlaced', 'OrderPaid', 'Reserved', 'Requested' ]");
      expect(out.trim().endsWith('true')).toBe(true);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('consumer example runs as written', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const code = /## Following the journal\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    const dir = tempDir();
    const file = path.join(root, 'test', `.quickstart-consumers-${process.pid}.ts`);
    fs.writeFileSync(file, code!.replace("from 'causeway'", "from '../src/index.js'"));
    try {
      const out = execFileSync(process.execPath, ['--import', tsxLoader, file], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(out).toContain('billing 3 orders (durable checkpoint: true)');
      expect(out).toContain('live 3');
      expect(out).toContain('shipments 3');
      expect(out).toContain('revenue 60');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('outbox quickstart runs as written', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const code = /## Quickstart: the outbox\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    const dir = tempDir();
    const file = path.join(root, 'test', `.quickstart-outbox-${process.pid}.ts`);
    fs.writeFileSync(file, code!.replace("from 'causeway'", "from '../src/index.js'"));
    try {
      const out = execFileSync(process.execPath, ['--import', tsxLoader, file], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(out).toContain('send OrderConfirmation for order-507 { total: 42 }');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
