import fs from 'node:fs';
import { CausewayError, DatabaseUnavailable } from '../../errors.js';
import { recordedWriter } from '../../journal/storage/lock.js';
import { checkDatabase, type DatabaseCheck } from '../../outbox/schema-admin.js';
import {
  dialectOfUrl,
  driverLocation,
  type OptionalDriver,
  optionalDrivers,
  redactUrl,
} from '../../sql/index.js';
import { isJournalDir, journalInSubdir, openJournalDir } from '../journal-dir.js';
import { satisfiesRange } from '../node-range.js';
import { describeError as describe, describeBreak, humanBytes, humanMs } from '../output.js';

/**
 * How a check came out: `ok` and `fail` are verdicts; `info` is a fact that fails nothing (a driver
 * nothing here needs); `skip` is a check with nothing to look at (no database given).
 */
export type CheckStatus = 'ok' | 'fail' | 'info' | 'skip';

/** One line of `causeway doctor`. */
export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  /** What was found, briefly. */
  readonly text: string;
  /** On failure, what to do about it. */
  readonly fix?: string;
}

const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
const ok = (name: string, text: string): CheckResult => ({ name, status: 'ok', text });
const fail = (name: string, text: string, fix: string): CheckResult => ({ name, status: 'fail', text, fix });

/** The running Node.js against `engines.node` of Causeway's package.json. */
export function checkNode(range: string | undefined, version = process.versions.node): CheckResult {
  if (range === undefined)
    return { name: 'node', status: 'info', text: `Node.js ${version}; no engines.node to check` };
  const satisfied = satisfiesRange(version, range);
  if (satisfied === undefined)
    return {
      name: 'node',
      status: 'info',
      text: `Node.js ${version}; engines.node ${range} not checked (unread syntax)`,
    };
  return satisfied
    ? ok('node', `Node.js ${version} satisfies engines.node ${range}`)
    : fail(
        'node',
        `Node.js ${version} is outside engines.node ${range}`,
        `run Causeway on a Node.js in ${range}`,
      );
}

/** The driver a database URL needs (SQLite's is a dependency, always there), or null. */
export function driverFor(url: string | undefined): OptionalDriver | null {
  const dialect = url === undefined ? undefined : dialectOfUrl(url);
  return dialect === 'postgres' ? 'pg' : dialect === 'mysql' ? 'mysql2' : null;
}

/** Each optional driver: installed, or missing (a failure only when `needed` names it). */
export function checkDrivers(needed: OptionalDriver | null): CheckResult[] {
  return (Object.keys(optionalDrivers) as OptionalDriver[]).map((driver) => {
    const { database } = optionalDrivers[driver];
    const location = driverLocation(driver);
    if (location !== undefined) return ok(driver, `installed (${packageDir(location)})`);
    if (driver === needed)
      return fail(driver, `not installed, and ${database} needs it`, `npm install ${driver}`);
    return {
      name: driver,
      status: 'info',
      text: `not installed; only ${database} needs it (npm install ${driver})`,
    };
  });
}

/** `.../node_modules/pg` of a file resolved inside the package. */
const packageDir = (file: string): string =>
  /^(.*node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)/.exec(file)?.[1] ?? file;

/** Where the database came from, so a fix can say how to give it again. */
export interface DatabaseTarget {
  readonly url: string;
  /** True when it came from DATABASE_URL (commands then find it without an argument). */
  readonly fromEnv: boolean;
  readonly prefix: string;
}

/**
 * Whether the database answers, then where its outbox schema stands. Two lines: `database` and
 * `schema` (skipped when the database could not be asked). Waits at most `timeoutMs` for an answer.
 */
export async function checkDatabaseAndSchema(
  target: DatabaseTarget | undefined,
  driverMissing: boolean,
  timeoutMs: number,
): Promise<{ results: CheckResult[]; timedOut: boolean }> {
  const skip = (name: string, text: string): CheckResult => ({ name, status: 'skip', text });
  if (target === undefined)
    return {
      results: [
        skip('database', 'not checked: no --database <url> and no DATABASE_URL'),
        skip('schema', 'not checked: no database'),
      ],
      timedOut: false,
    };
  const shown = redactUrl(target.url);
  if (driverMissing)
    return {
      results: [
        skip('database', `not checked: ${shown} needs the driver reported missing above`),
        skip('schema', 'not checked: no connection'),
      ],
      timedOut: false,
    };
  // A masked URL would not work pasted: then the command names it instead.
  const urlArgument = target.fromEnv
    ? ''
    : shown === target.url
      ? ` ${shown}`
      : ' <the URL, with its password>';
  const migrateCommand = `causeway outbox migrate${urlArgument}${target.prefix === 'outbox' ? '' : ` --prefix ${target.prefix}`}`;
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  let found: DatabaseCheck;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        const dialect = dialectOfUrl(target.url) ?? 'the';
        reject(new DatabaseUnavailable(dialect, new Error(`no answer within ${humanMs(timeoutMs)}`)));
      }, timeoutMs);
    });
    found = await Promise.race([checkDatabase(target.url, { prefix: target.prefix }), timeout]);
  } catch (err) {
    return {
      results: [
        fail('database', `${shown}: ${describe(err)}`, databaseFix(err, target.url, migrateCommand)),
        skip('schema', 'not checked: the database did not answer'),
      ],
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
  const database = ok('database', `${found.dialect} at ${shown} answered in ${humanMs(found.answeredInMs)}`);
  return { results: [database, schemaResult(found, target.prefix, migrateCommand)], timedOut };
}

function schemaResult(
  { schema, dialect }: DatabaseCheck,
  prefix: string,
  migrateCommand: string,
): CheckResult {
  const name = 'schema';
  const what = `outbox schema (prefix ${prefix})`;
  switch (schema.state) {
    case 'current':
      return ok(name, `${what} is current: version ${schema.expected}`);
    case 'missing':
      return fail(
        name,
        `no ${what}: no version recorded, this Causeway expects ${schema.expected}`,
        `run ${migrateCommand}`,
      );
    case 'older':
      return fail(
        name,
        `${what} is at version ${schema.found}, this Causeway expects ${schema.expected}`,
        `run ${migrateCommand}`,
      );
    case 'newer':
      return fail(
        name,
        `${what} is at version ${schema.found}, newer than this Causeway knows (${schema.expected})`,
        'upgrade Causeway to the version that migrated it (or check that this is the right database)',
      );
    case 'inconsistent':
      return fail(
        name,
        schema.message,
        `compare with causeway outbox schema ${dialect}${prefix === 'outbox' ? '' : ` --prefix ${prefix}`}`,
      );
    case 'unreadable':
      return fail(name, describe(schema.error), 'check that the database user may read the outbox tables');
  }
}

function databaseFix(err: unknown, url: string, migrateCommand: string): string {
  const code = err instanceof CausewayError ? err.code : undefined;
  if (code === 'DRIVER_MISSING') return `npm install ${String((err as CausewayError).details.driver)}`;
  if (code === 'UNSUPPORTED_DATABASE') return 'give a postgres://, mysql://, mariadb:// or sqlite:<file> URL';
  if (code === 'INVALID_ARGUMENT' && dialectOfUrl(url) === 'sqlite')
    return `check the path, or create the file with ${migrateCommand}`;
  if (dialectOfUrl(url) === 'sqlite')
    return 'check that the path names an SQLite database file this user may open';
  if (code === 'DATABASE_UNAVAILABLE')
    return 'check that the server runs, that host and port in the URL are right, and its SSL settings';
  if (code === 'INVALID_ARGUMENT') return 'check the URL';
  return 'check the user, password and database name in the URL';
}

/** Journals up to this size are verified by the doctor; bigger ones are left to `causeway verify`. */
const VERIFY_UP_TO_BYTES = 256 * 1024 * 1024;

/** The journal directory: a journal that opens read-only, how big, its hash chains, and whether a writer holds it. */
export function checkJournal(dir: string | undefined): CheckResult {
  const name = 'journal';
  if (dir === undefined) return { name, status: 'skip', text: 'not checked: no --journal <dir>' };
  if (!fs.existsSync(dir)) return fail(name, `no directory ${dir}`, 'check the path');
  try {
    const misplaced = journalInSubdir(dir);
    if (misplaced) return fail(name, misplaced.message, `give --journal ${misplaced.details.journal}`);
    if (!isJournalDir(dir))
      return fail(
        name,
        `no journal in ${dir} (no segment files)`,
        'give the directory the journal was opened in',
      );
    const journal = openJournalDir(dir);
    try {
      const s = journal.stats();
      const writer = recordedWriter(dir);
      const size = `${count(s.events, 'event')} in ${count(s.streams, 'stream')}, ${count(s.segments, 'segment')} (${humanBytes(s.bytes)})`;
      const held = writer ? `its writer is ${writer}` : 'no writer holds it';
      if (s.bytes > VERIFY_UP_TO_BYTES)
        return ok(
          name,
          `${dir}: ${size}; ${held}; hash chains not verified here (causeway verify ${dir} does)`,
        );
      const verified = journal.verify();
      if (!verified.ok)
        return fail(
          name,
          `${dir}: a hash chain is broken: ${describeBreak(verified.firstBreak!)}`,
          `run causeway verify ${dir} for the place of the damage`,
        );
      return ok(name, `${dir}: ${size}, every hash chain intact; ${held}`);
    } finally {
      journal.close();
    }
  } catch (err) {
    const code = err instanceof CausewayError ? err.code : undefined;
    return fail(
      name,
      `${dir}: ${describe(err)}`,
      code === 'CORRUPT_DATA'
        ? `run causeway verify ${dir} for the place of the damage`
        : 'check the path and its permissions',
    );
  }
}
