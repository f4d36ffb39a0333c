import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A file system of a few MiB of its own (tmpfs), for tests of a full disk. */
export interface SmallDisk {
  readonly dir: string;
  /** Fills the disk with a filler file until at most `leaveBytes` are free. */
  fill(leaveBytes?: number): void;
  /** Removes the filler file. */
  free(): void;
  /** Bytes free now. */
  available(): number;
  unmount(): void;
}

/**
 * Mounts a tmpfs of `bytes`, or returns null where this process may not mount (not root): such
 * tests are skipped outside CI and fail under CI.
 */
export function smallDisk(bytes: number): SmallDisk | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'causeway-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    fs.rmdirSync(dir);
    if (process.env.CI) throw err;
    return null;
  }
  const filler = path.join(dir, 'filler');
  const available = () => {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  };
  return {
    dir,
    available,
    fill(leaveBytes = 0) {
      const fd = fs.openSync(filler, 'a');
      const chunk = Buffer.alloc(4096, 1);
      try {
        while (available() > leaveBytes)
          fs.writeSync(fd, chunk, 0, Math.min(chunk.length, available() - leaveBytes));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      } finally {
        fs.closeSync(fd);
      }
    },
    free() {
      fs.rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      fs.rmdirSync(dir);
    },
  };
}
