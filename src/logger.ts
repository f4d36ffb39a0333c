/**
 * The logger Causeway reports through: any pino-compatible logger (only these four methods are
 * used, each with a context object first). Without one, nothing is written.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const nothing = (): void => {};

/** The logger used when none is configured: it writes nothing. */
export const silentLogger: Logger = Object.freeze({
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
});
