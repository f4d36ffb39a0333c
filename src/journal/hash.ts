import { createBLAKE3 } from 'hash-wasm';

// One BLAKE3 instance for the process: hashing is synchronous once the WebAssembly module is loaded.
const blake3 = await createBLAKE3();

export const HASH_BYTES = 32;
export const ZERO_HASH: Buffer = Buffer.alloc(HASH_BYTES);

/** BLAKE3 of the concatenation of `parts`. */
export function blake3Of(...parts: Uint8Array[]): Buffer {
  blake3.init();
  for (const part of parts) blake3.update(part);
  const digest = blake3.digest('binary');
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
}
