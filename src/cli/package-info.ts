import fs from 'node:fs';

/** What the CLI reads from Causeway's own package.json (beside `src/` and `dist/` alike). */
export interface PackageInfo {
  readonly version: string;
  /** `engines.node`, the Node.js versions Causeway supports, when declared. */
  readonly nodeRange: string | undefined;
}

/** Causeway's own package.json, read once. */
export function packageInfo(): PackageInfo {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
    engines?: { node?: string };
  };
  return { version: pkg.version, nodeRange: pkg.engines?.node };
}
