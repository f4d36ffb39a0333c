const encoder = new TextEncoder();

/**
 * The partition of a message key: FNV-1a (32-bit) over the key's UTF-8 bytes, modulo the count.
 * Stable across processes, versions and platforms, so a key always lands on one partition.
 */
export function partitionForKey(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(key)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
