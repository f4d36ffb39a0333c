/**
 * A power cut, simulated: `recordSyncs(dir, shadow)` (in the process under test) copies each file
 * under `dir` into `shadow` whenever it is fsynced, and moves the copy along when the file is
 * renamed. `cutPower(dir, shadow)` (after that process is killed) puts back exactly what was synced:
 * every file as of its last fsync, and no file that never was. What a real power loss would keep
 * of unsynced writes is at best this much, so a guarantee that holds here holds there.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Files the kernel lock and its holder record live in; a power cut does not matter to them. */
const IGNORED = new Set(['writer.lock', 'writer.holder', 'writer.lock-journal']);

export async function recordSyncs(dir: string, shadow: string): Promise<void> {
  const root = path.resolve(dir);
  const copy = (fd: number) => {
    const file = fs.readlinkSync(`/proc/self/fd/${fd}`);
    if (!file.startsWith(`${root}/`) || fs.statSync(file).isDirectory()) return;
    const target = path.join(shadow, path.relative(root, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
  };
  const moved = (from: string, to: string) => {
    const a = path.join(shadow, path.relative(root, path.resolve(from)));
    if (!fs.existsSync(a)) return;
    const b = path.join(shadow, path.relative(root, path.resolve(to)));
    fs.mkdirSync(path.dirname(b), { recursive: true });
    fs.renameSync(a, b);
  };
  for (const name of ['fsyncSync', 'fdatasyncSync'] as const) {
    const real = fs[name];
    fs[name] = (fd: number) => {
      real(fd);
      copy(fd);
    };
  }
  for (const name of ['fsync', 'fdatasync'] as const) {
    const real = fs[name] as (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => void;
    (fs as Record<string, unknown>)[name] = (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) =>
      real(fd, (err) => {
        if (!err) copy(fd);
        cb(err);
      });
  }
  const realRename = fs.renameSync;
  fs.renameSync = (from, to) => {
    realRename(from, to);
    moved(String(from), String(to));
  };
  const realPromiseRename = fs.promises.rename;
  fs.promises.rename = async (from, to) => {
    await realPromiseRename(from, to);
    moved(String(from), String(to));
  };
  // FileHandle's methods live on its prototype, reached through any handle.
  fs.mkdirSync(root, { recursive: true });
  const probe = path.join(root, '.probe');
  const h = await fs.promises.open(probe, 'w');
  const proto = Object.getPrototypeOf(h) as Record<string, (...a: unknown[]) => Promise<void>>;
  await h.close();
  fs.rmSync(probe);
  for (const name of ['sync', 'datasync']) {
    const real = proto[name];
    proto[name] = async function (this: { fd: number }) {
      await real.call(this);
      copy(this.fd);
    };
  }
}

/** Installs on `dir` exactly what was synced: the process that wrote it must be dead. */
export function cutPower(dir: string, shadow: string): void {
  const walk = (d: string): string[] =>
    fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(d, e.name);
      return e.isDirectory() ? walk(p) : [p];
    });
  for (const file of walk(dir)) {
    if (IGNORED.has(path.basename(file))) continue;
    const saved = path.join(shadow, path.relative(dir, file));
    if (fs.existsSync(saved)) fs.copyFileSync(saved, file);
    else fs.rmSync(file);
  }
}
