/**
 * The logger of long-running commands: one JSON object per line on stderr (pino's shape: level,
 * time, msg, then the context), so a command's output stays on stdout.
 */
import type { Logger } from '../logger.js';

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export function stderrLogger(minimum: keyof typeof LEVELS = 'info'): Logger {
  const write = (level: keyof typeof LEVELS) => (obj: object, msg?: string) => {
    if (LEVELS[level] < LEVELS[minimum]) return;
    const line = { level: LEVELS[level], time: Date.now(), msg, ...obj };
    process.stderr.write(`${JSON.stringify(line, errorsAsObjects)}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

function errorsAsObjects(_key: string, value: unknown): unknown {
  if (value instanceof Error)
    return {
      type: value.name,
      message: value.message,
      code: (value as { code?: unknown }).code,
      stack: value.stack,
    };
  if (typeof value === 'bigint') return value.toString();
  return value;
}
