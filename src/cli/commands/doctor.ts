import type { Command } from 'commander';
import { Option } from 'commander';
import { checkPrefix } from '../../outbox/names.js';
import { DATABASE_SYNTAX } from '../database.js';
import {
  type CheckResult,
  checkDatabaseAndSchema,
  checkDrivers,
  checkJournal,
  checkNode,
  type DatabaseTarget,
  driverFor,
} from '../doctor/checks.js';
import { parseTimerMs } from '../options.js';
import { packageInfo } from '../package-info.js';

interface DoctorOptions {
  database?: string;
  db?: string;
  journal?: string;
  prefix: string;
  timeoutMs: number;
}

const MARK: Record<CheckResult['status'], string> = { ok: 'ok', fail: 'FAIL', info: 'info', skip: 'skip' };

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check Node.js, database drivers, the database and its outbox schema, and a journal directory',
    )
    .option('--database <url>', `database to check (${DATABASE_SYNTAX}); default $DATABASE_URL`)
    // The outbox commands spell it --db: accept that too rather than fail on it.
    .addOption(new Option('--db <url>').hideHelp())
    .option('--prefix <prefix>', 'outbox table prefix', 'outbox')
    .option('--journal <dir>', 'journal directory to check')
    .option('--timeout-ms <ms>', 'how long to wait for the database to answer', parseTimerMs, 5000)
    .addHelpText(
      'after',
      `
One line per check: ok, FAIL (with what to do), info (fails nothing) or skip (nothing to check).
Exits 0 when no check fails, 1 otherwise.

Examples:
  $ causeway doctor
  $ causeway doctor --database postgres://app@localhost/app --journal ./data/journal
  $ DATABASE_URL=sqlite:./causeway-demo/outbox.db causeway doctor --journal ./causeway-demo/journal`,
    )
    .action(async (opts: DoctorOptions) => {
      checkPrefix(opts.prefix);
      const given = opts.database ?? opts.db;
      const url = given ?? (process.env.DATABASE_URL || undefined);
      const target: DatabaseTarget | undefined =
        url === undefined ? undefined : { url, fromEnv: given === undefined, prefix: opts.prefix };
      const drivers = checkDrivers(driverFor(url));
      const database = await checkDatabaseAndSchema(
        target,
        drivers.some((d) => d.status === 'fail'),
        opts.timeoutMs,
      );
      const results = [
        checkNode(packageInfo().nodeRange),
        ...drivers,
        ...database.results,
        checkJournal(opts.journal),
      ];
      const width = Math.max(...results.map((r) => r.name.length));
      for (const r of results)
        console.log(
          `${MARK[r.status].padEnd(4)}  ${r.name.padEnd(width)}  ${r.text}${r.fix ? `; ${r.fix}` : ''}`,
        );
      const failed = results.filter((r) => r.status === 'fail').length;
      console.log(failed === 0 ? 'no problems found' : `${failed} check${failed === 1 ? '' : 's'} failed`);
      if (failed > 0) process.exitCode = 1;
      // A connection attempt still under way (a host that drops packets) would hold the process open.
      if (database.timedOut) process.exit();
    });
}
