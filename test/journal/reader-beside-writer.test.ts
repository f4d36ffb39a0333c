import { describe, expect, it } from 'vitest';
import { open } from '../../src/index.js';
import { fixture, sleep, startChild } from '../children.js';
import { tempDir } from '../helpers.js';

describe('a read-only reader beside a writer in another process', () => {
  it('keeps catching up while the writer rotates 64 KiB segments and closes, and never stalls', {
    timeout: 60_000,
  }, async () => {
    const dir = tempDir();
    open(dir).close();
    const writer = startChild(fixture('rotating-writer.ts'), [dir, '4000']);
    await writer.ready;
    const reader = startChild(fixture('catching-reader.ts'), [dir]);
    await reader.ready;
    try {
      await writer.exited;
      const total = Number(writer.lines.at(-1)!.split(' ')[1]);
      expect(total).toBeGreaterThan(2000); // many rotations: ~300 events fill a segment
      const lastSeen = () =>
        Number(
          reader.lines
            .filter((l) => l.startsWith('C '))
            .at(-1)!
            .split(' ')[1],
        );
      const deadline = Date.now() + 10_000;
      while (lastSeen() < total && Date.now() < deadline) await sleep(50);
      expect(lastSeen()).toBe(total);
      // The reader went on answering while the writer worked: it reported progress along the way,
      // not only at the end (how often depends on the machine's load).
      const seen = new Set(reader.lines.filter((l) => l.startsWith('C ')));
      expect(seen.size).toBeGreaterThan(3);
      // It verifies every 300 ms, after the writer's exit too: on a loaded machine the writer's run
      // may hold fewer than four of them.
      const verifications = () => reader.lines.filter((l) => l.startsWith('V '));
      while (verifications().length <= 3 && Date.now() < deadline + 5_000) await sleep(50);
      expect(verifications().length).toBeGreaterThan(3);
      for (const v of verifications()) expect(v).toMatch(/^V true \d+$/);
    } finally {
      reader.proc.kill('SIGKILL');
      await reader.exited;
    }
  });
});
