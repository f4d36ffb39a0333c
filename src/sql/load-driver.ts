import { createRequire } from 'node:module';
import { DriverMissing } from '../errors.js';

/**
 * The database drivers Causeway loads on first use. They are optional peer dependencies, so an
 * application that uses only the journal or SQLite installs and loads neither.
 */
export const optionalDrivers = {
  pg: { module: 'pg', database: 'PostgreSQL' },
  mysql2: { module: 'mysql2/promise', database: 'MySQL/MariaDB' },
} as const;

export type OptionalDriver = keyof typeof optionalDrivers;

// Both drivers are CommonJS packages: `require` keeps connecting synchronous.
const require = createRequire(import.meta.url);

/** The driver's module, or `DriverMissing` naming the package to install. */
export function loadDriver<T>(driver: OptionalDriver): T {
  const { module, database } = optionalDrivers[driver];
  try {
    return require(module) as T;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err?.code === 'MODULE_NOT_FOUND' && err.message.includes(`'${module}'`))
      throw new DriverMissing(driver, database, e);
    throw e;
  }
}

/** Where the driver is installed (resolved from Causeway's own location), or undefined. */
export function driverLocation(driver: OptionalDriver): string | undefined {
  try {
    return require.resolve(optionalDrivers[driver].module);
  } catch {
    return undefined;
  }
}
