import { optionalLocation, requireOptional } from '../optional-package.js';

/**
 * The database drivers Causeway loads on first use. They are optional peer dependencies, so an
 * application that uses only the journal or SQLite installs and loads neither.
 */
export const optionalDrivers = {
  pg: { module: 'pg', database: 'PostgreSQL' },
  mysql2: { module: 'mysql2/promise', database: 'MySQL/MariaDB' },
} as const;

export type OptionalDriver = keyof typeof optionalDrivers;

/** The driver's module, or `DriverMissing` naming the package to install. */
export function loadDriver<T>(driver: OptionalDriver): T {
  const { module, database } = optionalDrivers[driver];
  return requireOptional<T>(module, database, driver);
}

/** Where the driver is installed (resolved from Causeway's own location), or undefined. */
export function driverLocation(driver: OptionalDriver): string | undefined {
  return optionalLocation(optionalDrivers[driver].module);
}
