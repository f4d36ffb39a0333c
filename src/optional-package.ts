import { createRequire } from 'node:module';
import { DriverMissing } from './errors.js';

// Every optional peer Causeway loads is a CommonJS package (or ships a CommonJS build): `require`
// keeps loading synchronous, so nothing waits on a first use.
const require = createRequire(import.meta.url);

/**
 * Loads an optional peer dependency on first use: `module` (a package or a path in one), or
 * `DriverMissing` naming the package `feature` needs. Other load failures are passed on.
 */
export function requireOptional<T>(module: string, feature: string, packageName = module): T {
  try {
    return require(module) as T;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'MODULE_NOT_FOUND' && err.message.includes(`'${module}'`))
      throw new DriverMissing(packageName, feature, e);
    throw e;
  }
}

/** Where an optional package is installed (resolved from Causeway's own location), or undefined. */
export function optionalLocation(module: string): string | undefined {
  try {
    return require.resolve(module);
  } catch {
    return undefined;
  }
}
