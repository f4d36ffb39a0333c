import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coordinate, open } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { seg } from '../journal/segment-files.js';
import { cli } from './run-cli.js';

/** The command failed with exactly one line, `causeway: CODE: ...`, and no stack. */
function expectOneLine(r: { code: number | null; stderr: string }, code: string): string {
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^causeway: ${code}: `));
  return lines[0];
}

describe('the command given hostile input', () => {
  it.each([
    'postgres://postgres:p@ss@127.0.0.1:1/test',
    'postgres://postgres:pa/ss@127.0.0.1:1/test',
    'postgres://app@127.0.0.1:1/db?password=s3cret',
  ])('never prints the password of %s', (url) => {
    const secret = /p@ss|pa\/ss|s3cret/;
    const doctor = cli(['doctor', '--database', url, '--timeout-ms', '3000']);
    expect(doctor.stdout + doctor.stderr).not.toMatch(secret);
    expect(doctor.stdout).toMatch(/FAIL\s+database/);
    const migrate = cli(['outbox', 'migrate', url.replace('postgres:', 'redis:')]);
    expect(expectOneLine(migrate, 'UNSUPPORTED_DATABASE')).not.toMatch(secret);
  });

  it.each([
    ['a malformed URL', () => 'postgres://localhost:port/db', 'INVALID_ARGUMENT'],
    [
      'an SQLite path in a missing directory',
      () => `sqlite:${path.join(tempDir(), 'no', 'x.db')}`,
      'INVALID_ARGUMENT',
    ],
    ['an SQLite path that is a directory', () => `sqlite:${tempDir()}`, 'DATABASE_ERROR'],
    [
      'an SQLite path that is not a database',
      () => {
        const file = path.join(tempDir(), 'random.db');
        fs.writeFileSync(file, Buffer.alloc(4096, 0x5a));
        return `sqlite:${file}`;
      },
      'DATABASE_ERROR',
    ],
  ])('outbox migrate refuses %s in one typed line', (_, url, code) => {
    expectOneLine(cli(['outbox', 'migrate', url()]), code);
  });

  it('demo into a path that is a file fails in one typed line', () => {
    const file = path.join(tempDir(), 'afile');
    fs.writeFileSync(file, 'x');
    expectOneLine(cli(['demo', file]), 'IO_ERROR');
  });

  it('doctor refuses a timeout longer than a timer can wait instead of calling a healthy database down', () => {
    const r = cli(['doctor', '--timeout-ms', '3000000000']);
    expectOneLine(r, 'INVALID_ARGUMENT');
    expect(r.stdout).toBe('');
  });

  it('doctor reports a journal whose hash chain is broken, which opening alone does not notice', () => {
    const dir = tempDir();
    const j = open(dir);
    for (let i = 0; i < 5; i++)
      j.append(coordinate('order:1', 'shop'), { type: 'T', data: { text: `event ${i}` } });
    j.close();
    const bytes = fs.readFileSync(seg(dir));
    const at = bytes.indexOf('event 2');
    bytes[at] ^= 0x01; // inside a payload: the frame decodes, the CRC does not match
    fs.writeFileSync(seg(dir), bytes);
    const r = cli(['doctor', '--journal', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+journal\s+.*broken/);
  });

  it("checkpoints fails when the checkpoints can't be listed instead of saying there are none", () => {
    const dir = tempDir();
    open(dir).close();
    fs.rmSync(path.join(dir, 'checkpoints'), { recursive: true, force: true });
    fs.writeFileSync(path.join(dir, 'checkpoints'), 'not a directory');
    expectOneLine(cli(['checkpoints', dir]), 'IO_ERROR');
  });
});
