#!/usr/bin/env node
/**
 * Adds lockfile entries for optional platform packages (native binaries for other systems) that the
 * npm registry in use could not supply. `npm install` leaves them out when it cannot fetch them, and
 * `npm ci` then rejects the lockfile as out of sync. Each entry is marked optional with the os/cpu
 * its name declares, so `npm ci` skips it on other platforms, exactly as it does with a lockfile
 * written against a registry that holds every platform's package.
 * Run after `npm install` changes dependencies: `node scripts/complete-lockfile.mjs`.
 */
import fs from 'node:fs';

const OS = [
  'darwin',
  'linux',
  'win32',
  'android',
  'freebsd',
  'openbsd',
  'netbsd',
  'sunos',
  'aix',
  'openharmony',
];
const CPU = ['x64', 'arm64', 'arm', 'ia32', 'riscv64', 's390x', 'ppc64', 'loong64', 'mips64el'];

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
let added = 0;
for (const [, entry] of Object.entries(lock.packages)) {
  for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key]) continue;
    const parts = name.split('/').pop().split('-');
    const os = parts.find((p) => OS.includes(p));
    const cpu =
      parts.find((p) => CPU.includes(p)) ??
      (parts.includes('gnueabihf') || parts.includes('musleabihf') ? 'arm' : undefined);
    if (!os || !cpu) throw new Error(`cannot tell the platform of ${name}`);
    const libc =
      os === 'linux' ? (parts.some((p) => p.startsWith('musl')) ? ['musl'] : ['glibc']) : undefined;
    lock.packages[key] = { version: range, optional: true, os: [os], cpu: [cpu], ...(libc ? { libc } : {}) };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} platform entries`);
