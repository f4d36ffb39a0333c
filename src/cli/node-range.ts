/**
 * Whether a Node.js version satisfies an `engines.node` range of the plain kind: comparators
 * (`>=20.19.0`, `>20`, `<25`, `<=22.1`, `=20.1.0` or a bare version) separated by spaces, and
 * alternatives joined by `||`. A partial version is a range as in npm (`<=22.1` admits 22.1.9,
 * `>20` starts at 21). Undefined for a range this does not read (`^`, `~`, `x`, hyphen ranges), so
 * a caller can say it could not check rather than guess.
 */
export function satisfiesRange(version: string, range: string): boolean | undefined {
  const v = parseVersion(version);
  if (v === undefined) return undefined;
  let result = false;
  for (const alternative of range.split('||')) {
    const comparators = alternative.trim().split(/\s+/).filter(Boolean);
    if (comparators.length === 0) return undefined;
    let all = true;
    for (const c of comparators) {
      const m = /^(>=|<=|>|<|=)?(v?\d+(?:\.\d+){0,2})$/.exec(c);
      const bound = m ? parseVersion(m[2]) : undefined;
      if (!m || !bound) return undefined;
      all &&= admits(m[1] ?? '=', bound, v.parts);
    }
    result ||= all;
  }
  return result;
}

interface Version {
  /** Major, minor, patch; the missing ones 0. */
  readonly parts: number[];
  /** How many were written. */
  readonly given: number;
}

/** Whether `op bound` admits `v`: a partial bound covers [lower, upper), as `20.1` covers 20.1.x. */
function admits(op: string, bound: Version, v: number[]): boolean {
  const lower = bound.parts;
  const upper = lower.map((n, i) => (i < bound.given - 1 ? n : i === bound.given - 1 ? n + 1 : 0));
  if (op === '>=') return compare(v, lower) >= 0;
  if (op === '>') return compare(v, upper) >= 0;
  if (op === '<') return compare(v, lower) < 0;
  if (op === '<=') return compare(v, upper) < 0;
  return compare(v, lower) >= 0 && compare(v, upper) < 0;
}

function parseVersion(text: string): Version | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$/.exec(text.trim());
  if (!m) return undefined;
  return {
    parts: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)],
    given: m[3] !== undefined ? 3 : m[2] !== undefined ? 2 : 1,
  };
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}
