/**
 * `url` fit to print: the password of its user part and any `password=` parameter masked. Passwords
 * are not always percent-encoded, so the user part runs to the last `@` before the query.
 */
export function redactUrl(url: string): string {
  const start = url.indexOf('://');
  if (start < 0) return url;
  const rest = url.slice(start + 3);
  const query = rest.search(/\?[^@]*$/);
  const authorityEnd = query < 0 ? rest.length : query;
  const at = rest.lastIndexOf('@', authorityEnd);
  let shown = rest;
  if (at >= 0) {
    const user = rest.slice(0, at);
    const colon = user.indexOf(':');
    if (colon >= 0) shown = `${user.slice(0, colon)}:***${rest.slice(at)}`;
  }
  return url.slice(0, start + 3) + shown.replace(/([?&](?:password|pass|pwd)=)[^&]*/gi, '$1***');
}
