import { hash } from 'node:crypto';

/**
 * The Merkle tree that lets one signature cover the receipts of a batch (RFC 6962 style: leaves and
 * inner nodes are SHA-256 with distinct prefixes, so a leaf can never pass for a node). An odd node
 * at the end of a level moves up unchanged. A single receipt is a tree of one: its root is its leaf.
 */

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

const sha256 = (...parts: Buffer[]): Buffer => hash('sha256', Buffer.concat(parts), 'buffer');

/** Hash of one receipt's signed message. */
export const leafHash = (message: Buffer): Buffer => sha256(LEAF, message);

const nodeHash = (left: Buffer, right: Buffer): Buffer => sha256(NODE, left, right);

/** The root of `leaves` and, for each leaf, the sibling hashes from the leaf up. */
export function buildTree(leaves: readonly Buffer[]): { root: Buffer; paths: Buffer[][] } {
  const paths: Buffer[][] = leaves.map(() => []);
  // Which original leaves sit under each node of the current level.
  let members: number[][] = leaves.map((_, i) => [i]);
  let level = [...leaves];
  while (level.length > 1) {
    const next: Buffer[] = [];
    const nextMembers: number[][] = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 === level.length) {
        next.push(level[i]);
        nextMembers.push(members[i]);
        continue;
      }
      for (const leaf of members[i]) paths[leaf].push(level[i + 1]);
      for (const leaf of members[i + 1]) paths[leaf].push(level[i]);
      next.push(nodeHash(level[i], level[i + 1]));
      nextMembers.push([...members[i], ...members[i + 1]]);
    }
    level = next;
    members = nextMembers;
  }
  return { root: level[0], paths };
}

/** The root a leaf and its path lead to, or null when the path does not fit `index` and `size`. */
export function rootFromPath(
  leaf: Buffer,
  index: number,
  size: number,
  path: readonly Buffer[],
): Buffer | null {
  if (!Number.isSafeInteger(size) || size < 1 || !Number.isSafeInteger(index) || index < 0 || index >= size)
    return null;
  let node = leaf;
  let used = 0;
  for (let i = index, width = size; width > 1; i >>= 1, width = Math.ceil(width / 2)) {
    if (i % 2 === 1) node = nodeHash(path[used++] ?? Buffer.alloc(0), node);
    else if (i + 1 < width) node = nodeHash(node, path[used++] ?? Buffer.alloc(0));
    if (used > path.length) return null;
  }
  return used === path.length ? node : null;
}
