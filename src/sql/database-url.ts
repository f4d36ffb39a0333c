import type { SqlDialect } from './types.js';

/** The dialect a database URL's scheme names (`postgres:`/`postgresql:`, `mysql:`/`mariadb:`, `sqlite:`/`file:`), or undefined. */
export function dialectOfUrl(url: string): SqlDialect | undefined {
  const scheme = /^([a-z0-9+]+):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'mysql' || scheme === 'mariadb') return 'mysql';
  if (scheme === 'sqlite' || scheme === 'file') return 'sqlite';
  return undefined;
}
