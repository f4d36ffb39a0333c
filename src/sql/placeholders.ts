const numbered = new Map<string, string>();

/**
 * Rewrites `?` placeholders as `$1, $2, ...` for PostgreSQL drivers. Causeway's statements contain
 * no other question marks, so no quoting rules are needed; results are cached per statement.
 */
export function toNumberedPlaceholders(sql: string): string {
  let out = numbered.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    if (numbered.size > 10_000) numbered.clear();
    numbered.set(sql, out);
  }
  return out;
}

/** True when a statement produces rows (so drivers that split reads from writes pick the read path). */
export function returnsRows(sql: string): boolean {
  return /^\s*(select|with)\b/i.test(sql) || /\breturning\b/i.test(sql);
}
