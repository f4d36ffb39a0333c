import { blake3 as blake3InJs } from '@noble/hashes/blake3.js';
import { createBLAKE3, type IHasher } from 'hash-wasm';

export const HASH_BYTES = 32;
export const ZERO_HASH: Buffer = Buffer.alloc(HASH_BYTES);

/**
 * BLAKE3 by hash-wasm's WebAssembly (about six times faster) once it has loaded: loading is
 * asynchronous and starts when this module is imported, and until it is done the same digest comes
 * from @noble/hashes in JavaScript. So importing needs no top-level await (the module can be
 * `require`d) and the journal's synchronous API works from the first call.
 */
let wasm: IHasher | null = null;
createBLAKE3().then(
  (hasher) => {
    wasm = hasher;
  },
  () => {}, // without WebAssembly the JavaScript digest goes on serving
);

/** BLAKE3 of `bytes`, or of the concatenation of several parts. */
export function blake3Of(bytes: Uint8Array, ...more: Uint8Array[]): Buffer {
  if (wasm === null) {
    const digest = more.length === 0 ? blake3InJs(bytes) : blake3InJs(Buffer.concat([bytes, ...more]));
    return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
  }
  wasm.init();
  wasm.update(bytes);
  for (const part of more) wasm.update(part);
  const digest = wasm.digest('binary');
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
}
