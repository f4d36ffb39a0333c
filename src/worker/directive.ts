import type { Directive as DirectiveType } from './types.js';

/** Builders of directives, the values `execute` returns. */
export const Directive = {
  proceed: <R>(report?: R): DirectiveType<R> => ({ kind: 'proceed', report }),
  idle: <R>(report?: R): DirectiveType<R> => ({ kind: 'idle', report }),
  sleep: <R>(ms: number, report?: R): DirectiveType<R> => ({ kind: 'sleep', ms, report }),
  failed: <R>(error: unknown, report?: R): DirectiveType<R> => ({ kind: 'failed', error, report }),
};

/** What an action wants next (see the builders of the same name). */
export type Directive<R = unknown> = DirectiveType<R>;
