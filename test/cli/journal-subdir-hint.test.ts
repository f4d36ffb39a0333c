import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { coordinate, open } from '../../src/index.js';
import { tempDir } from '../helpers.js';
import { cli } from './run-cli.js';

describe('journal commands given the directory above a journal', () => {
  it('name the journal subdirectory in one typed line, as the demo lays it out', () => {
    const parent = tempDir();
    const j = open(path.join(parent, 'journal'));
    j.append(coordinate('order:1', 'shop'), { type: 'OrderPlaced', data: {} });
    j.close();
    for (const args of [
      ['inspect', parent],
      ['verify', parent],
      ['tail', parent],
      ['events', parent, '--stream', 'order:1'],
      ['checkpoints', parent],
    ]) {
      const r = cli(args);
      expect(r, args.join(' ')).toMatchObject({
        code: 1,
        stdout: '',
        stderr: `causeway: INVALID_ARGUMENT: not a journal: ${parent} (did you mean ${parent}/journal?)\n`,
      });
    }
    // Written with a trailing slash, as shells complete it, the suggestion still reads right.
    expect(cli(['inspect', `${parent}/`]).stderr).toBe(
      `causeway: INVALID_ARGUMENT: not a journal: ${parent}/ (did you mean ${parent}/journal?)\n`,
    );
    expect(cli(['inspect', path.join(parent, 'journal')]).code).toBe(0);
  });

  it('a directory with no journal anywhere is still the plain error', () => {
    const empty = tempDir();
    expect(cli(['inspect', empty]).stderr).toBe(`causeway: INVALID_ARGUMENT: no journal in ${empty}\n`);
  });
});
