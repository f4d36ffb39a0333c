/**
 * A database URL or connection string fit to print: passwords masked. Passwords are not always
 * percent-encoded, so the user part runs to the last `@` before the query; a string that is not a
 * URL (a key=value connection string, a URL missing its `//`) gets its `password=` values and
 * anything between a `:` and an `@` masked.
 */
export function redactUrl(url: string): string {
  const params = (s: string) => s.replace(/((?:^|[?&\s])(?:ssl)?(?:password|pass|pwd)=)[^&\s]*/gi, '$1***');
  const start = url.indexOf('://');
  const head = start < 0 ? '' : url.slice(0, start + 3);
  const rest = start < 0 ? url : url.slice(start + 3);
  const query = rest.search(/\?[^@]*$/);
  const authorityEnd = query < 0 ? rest.length : query;
  const at = rest.lastIndexOf('@', authorityEnd);
  if (at < 0) return head + params(rest);
  const user = rest.slice(0, at);
  const colon = user.indexOf(':');
  const masked = colon < 0 ? user : `${user.slice(0, colon)}:***`;
  return head + masked + params(rest.slice(at));
}
