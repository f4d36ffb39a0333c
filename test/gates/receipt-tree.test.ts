import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildTree, leafHash, rootFromPath } from '../../src/gates/receipt-tree.js';

const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`receipt ${i}`)));

describe('receipt trees', () => {
  it('every leaf of a tree of any size leads to the root, and only from its own index', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), (n, pick) => {
        const ls = leaves(n);
        const { root, paths } = buildTree(ls);
        for (let i = 0; i < n; i++) expect(rootFromPath(ls[i], i, n, paths[i])?.equals(root)).toBe(true);
        if (n > 1) {
          const i = pick % n;
          const j = (i + 1) % n;
          expect(rootFromPath(ls[i], j, n, paths[i])?.equals(root) ?? false).toBe(false);
          expect(rootFromPath(ls[j], i, n, paths[i])?.equals(root) ?? false).toBe(false);
        }
      }),
    );
  });

  it('a tree of one is its leaf; leaves and nodes hash with different prefixes', () => {
    const [leaf] = leaves(1);
    expect(buildTree([leaf])).toEqual({ root: leaf, paths: [[]] });
    const message = Buffer.from('m');
    expect(leafHash(message)).toEqual(
      createHash('sha256')
        .update(Buffer.from([0]))
        .update(message)
        .digest(),
    );
    const two = leaves(2);
    const { root } = buildTree(two);
    expect(root).toEqual(
      createHash('sha256')
        .update(Buffer.from([1]))
        .update(two[0])
        .update(two[1])
        .digest(),
    );
  });

  it('refuses indexes and sizes that do not fit', () => {
    const ls = leaves(3);
    const { paths } = buildTree(ls);
    expect(rootFromPath(ls[0], 3, 3, paths[0])).toBeNull();
    expect(rootFromPath(ls[0], -1, 3, paths[0])).toBeNull();
    expect(rootFromPath(ls[0], 0, 0, [])).toBeNull();
    expect(rootFromPath(ls[0], 0, 3, [...paths[0], paths[0][0]])).toBeNull();
  });
});
