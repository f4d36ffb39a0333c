import { createBLAKE3 } from 'hash-wasm';

// One BLAKE3 instance for the process: hashing is synchronous once the WebAssembly module is loaded.
const blake3 = await createBLAKE3();

export const HASH_BYTES = 32;
export const ZERO_HASH: Buffer = Buffer.alloc(HASH_BYTES);

/** BLAKE3 of `bytes`, or of the concatenation of several parts. */
export function blake3Of(bytes: Uint8Array, ...more: Uint8Array[]): Buffer {
  blake3.init();
  blake3.update(bytes);
  for (const part of more) blake3.update(part);
  const digest = blake3.digest('binary');
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
}
