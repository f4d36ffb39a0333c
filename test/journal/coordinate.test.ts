import { describe, expect, it } from 'vitest';
import { coordinate } from '../../src/index.js';
import { entityHasPrefix, properPrefixes } from '../../src/journal/coordinate.js';

describe('coordinates', () => {
  it('accept printable entities and scopes and freeze the result', () => {
    const c = coordinate('order:507', 'tenant-a');
    expect(c).toEqual({ entity: 'order:507', scope: 'tenant-a' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(coordinate('ünïcode:ok', 's').entity).toBe('ünïcode:ok');
  });

  it.each([
    ['', 's'],
    ['a b', 's'],
    [':a', 's'],
    ['a:', 's'],
    ['a::b', 's'],
    ['a\nb', 's'],
    ['x'.repeat(513), 's'],
    ['a', ''],
    ['a', 'has space'],
    ['a', 'x'.repeat(129)],
  ])('reject %j in %j with INVALID_COORDINATE', (entity, scope) => {
    expect(() => coordinate(entity, scope)).toThrow(expect.objectContaining({ code: 'INVALID_COORDINATE' }));
  });

  it('match prefixes at `:` boundaries', () => {
    expect(entityHasPrefix('order:1', 'order')).toBe(true);
    expect(entityHasPrefix('order', 'order')).toBe(true);
    expect(entityHasPrefix('orders:1', 'order')).toBe(false);
    expect(properPrefixes('a:b:c')).toEqual(['a', 'a:b']);
    expect(properPrefixes('a')).toEqual([]);
  });
});
