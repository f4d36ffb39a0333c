import { spawnSync } from 'node:child_process';
import { blake3 } from '@noble/hashes/blake3.js';
import { createBLAKE3 } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import { blake3Of } from '../../src/journal/hash.js';
import { root } from '../children.js';
import { TSX_LOADER } from '../helpers.js';

describe('the event hash function', () => {
  it('gives the BLAKE3 digest, from the WebAssembly hasher and the JavaScript one alike', async () => {
    const wasm = await createBLAKE3();
    for (const size of [0, 1, 64, 1023, 1024, 1025, 70_000]) {
      const data = Buffer.from(Array.from({ length: size }, (_, i) => (i * 31) % 256));
      wasm.init();
      wasm.update(data);
      const expected = Buffer.from(wasm.digest('binary'));
      expect(Buffer.from(blake3(data))).toEqual(expected);
      expect(blake3Of(data)).toEqual(expected);
      expect(blake3Of(data.subarray(0, size >> 1), data.subarray(size >> 1))).toEqual(expected);
    }
  });

  it('hashes correctly in the same turn the module is loaded, before WebAssembly is ready', () => {
    const script = `
      import { blake3Of } from './src/journal/hash.ts';
      process.stdout.write(blake3Of(Buffer.from('causeway')).toString('hex'));`;
    const r = spawnSync(process.execPath, ['--import', TSX_LOADER, '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('1897d8dca1a8022daa6b833c4292d605e2bc2d68955f9ea78f06de2be7f8b858'); // BLAKE3("causeway"), as hash-wasm computes it
  });
});
