import fs from 'node:fs';
import path from 'node:path';
import {
  CheckpointCorrupt,
  CheckpointRegionMismatch,
  CheckpointWriteFailed,
  InvalidArgument,
  IoError,
} from '../../errors.js';
import { validateRegion } from '../region.js';
import type { Region } from '../types.js';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const FORMAT = 'causeway-checkpoint/2';
/** Files of the first format lack the event id; they are still read. */
const FORMAT_1 = 'causeway-checkpoint/1';

/** Checks a name that becomes part of a file name (a checkpoint id, a projection or reactor name). */
export function validateCheckpointId(id: unknown, what = 'checkpointId'): string {
  if (typeof id !== 'string' || !ID_PATTERN.test(id))
    throw new InvalidArgument(
      `${what} must be 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      {
        [what]: id,
      },
    );
  return id;
}

/** A region with its fields in a fixed order and its types sorted, so equal regions compare equal. */
export function canonicalRegion(region: Region): Region {
  const out: Region = {};
  if (region.entityPrefix !== undefined) out.entityPrefix = region.entityPrefix;
  if (region.scope !== undefined) out.scope = region.scope;
  if (region.types !== undefined) out.types = [...new Set(region.types)].sort();
  if (region.fromPosition !== undefined) out.fromPosition = region.fromPosition;
  if (region.toPosition !== undefined) out.toPosition = region.toPosition;
  return out;
}

interface Saved {
  format: string;
  id: string;
  region: Region;
  position: number;
  /** Id of the event at `position` (null at 0), tying the checkpoint to this journal's history. */
  event?: string | null;
}

/** A saved position and the id of the event there (null at 0, or in a first-format file). */
export interface SavedPosition {
  readonly position: number;
  readonly event: string | null;
}

/**
 * One checkpoint: `<journal>/checkpoints/<id>.json`, replaced atomically (written to a temporary
 * file, fsynced, renamed), so a crash leaves the old position or the new one, never a mix.
 */
export class CheckpointFile {
  readonly file: string;
  private readonly tmp: string;
  private dirSynced = false;

  /** `region` must be canonical (see {@link canonicalRegion}). */
  constructor(
    private readonly dir: string,
    readonly id: string,
    private readonly region: Region,
  ) {
    this.file = path.join(dir, `${id}.json`);
    this.tmp = `${this.file}.tmp`;
  }

  /** The saved position, or undefined when none is saved; throws when the file belongs to another region. */
  load(): SavedPosition | undefined {
    const saved = readSaved(this.file, this.id);
    if (saved === undefined) return undefined;
    const savedRegion = canonicalRegion(saved.region);
    if (JSON.stringify(savedRegion) !== JSON.stringify(this.region))
      throw new CheckpointRegionMismatch(this.id, savedRegion, this.region);
    return { position: saved.position, event: saved.event ?? null };
  }

  /** The bytes saved for `position`. */
  private body(at: SavedPosition): string {
    return bodyOf({
      format: FORMAT,
      id: this.id,
      region: this.region,
      position: at.position,
      event: at.event,
    });
  }

  writeSync(at: SavedPosition): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      const fd = fs.openSync(this.tmp, 'w');
      try {
        fs.writeSync(fd, this.body(at));
        fs.fdatasyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(this.tmp, this.file);
      if (!this.dirSynced) {
        const dfd = fs.openSync(this.dir, 'r');
        try {
          fs.fsyncSync(dfd);
        } finally {
          fs.closeSync(dfd);
        }
        this.dirSynced = true;
      }
    } catch (err) {
      throw new CheckpointWriteFailed(this.id, err);
    }
  }

  async write(at: SavedPosition): Promise<void> {
    try {
      await fs.promises.mkdir(this.dir, { recursive: true });
      const handle = await fs.promises.open(this.tmp, 'w');
      try {
        await handle.writeFile(this.body(at));
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await fs.promises.rename(this.tmp, this.file);
      if (!this.dirSynced) {
        const dir = await fs.promises.open(this.dir, 'r');
        try {
          await dir.sync();
        } finally {
          await dir.close();
        }
        this.dirSynced = true;
      }
    } catch (err) {
      throw new CheckpointWriteFailed(this.id, err);
    }
  }
}

const bodyOf = (saved: Saved): string => `${JSON.stringify(saved)}\n`;

/** Reads a checkpoint file of `id`: undefined when there is none, `CheckpointCorrupt` when unreadable. */
function readSaved(file: string, id: string): Saved | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CheckpointCorrupt(id, file, (err as Error).message);
  }
  let saved: Saved;
  try {
    saved = JSON.parse(text);
  } catch {
    throw new CheckpointCorrupt(id, file, 'not JSON');
  }
  if (
    (saved?.format !== FORMAT && saved?.format !== FORMAT_1) ||
    saved.id !== id ||
    !Number.isSafeInteger(saved.position) ||
    saved.position < 0 ||
    typeof saved.region !== 'object' ||
    (saved.event !== undefined && saved.event !== null && typeof saved.event !== 'string')
  )
    throw new CheckpointCorrupt(id, file, 'not a checkpoint of this id');
  try {
    validateRegion(saved.region);
  } catch (err) {
    throw new CheckpointCorrupt(id, file, `its region is not valid: ${(err as Error).message}`);
  }
  return saved;
}

/** Every checkpoint saved in `dir`: id, region and position. */
export function listCheckpoints(dir: string): { id: string; region: Region; saved: SavedPosition }[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // no consumer has saved one
    throw new IoError('listing checkpoints', dir, err);
  }
  return names
    .filter((n) => n.endsWith('.json') && ID_PATTERN.test(n.slice(0, -5)))
    .sort()
    .map((n) => {
      const id = n.slice(0, -5);
      const saved = readSaved(path.join(dir, n), id)!;
      return {
        id,
        region: canonicalRegion(saved.region),
        saved: { position: saved.position, event: saved.event ?? null },
      };
    });
}

/** Moves an existing checkpoint to `at`, keeping its region (see `Journal.resetCheckpoint`). */
export function resetCheckpointFile(dir: string, id: string, at: SavedPosition): void {
  const file = path.join(dir, `${id}.json`);
  const saved = readSaved(file, id);
  if (saved === undefined) throw new InvalidArgument(`no checkpoint ${id} is saved`, { checkpointId: id });
  new CheckpointFile(dir, id, canonicalRegion(saved.region)).writeSync(at);
}

/**
 * Writes a checkpoint in the background while the consumer goes on: one write at a time, and while
 * one runs only the newest position waits (older ones are superseded). A failure is kept and
 * reported by the next `save` or `flush`, so it can never pass unnoticed.
 */
export class CheckpointWriter {
  private inFlight: Promise<void> | null = null;
  private pending: number | null = null;
  private failure: CheckpointWriteFailed | null = null;
  /** The last position known to be on disk. */
  written: number;

  constructor(
    /** Saves one position durably, or throws `CheckpointWriteFailed`. */
    private readonly persist: (position: number) => Promise<void>,
    initial: number,
    private readonly onFailure: (error: CheckpointWriteFailed) => void = () => {},
  ) {
    this.written = initial;
  }

  /** Queues `position`; throws the failure of an earlier write. */
  save(position: number): void {
    if (this.failure) throw this.failure;
    this.pending = position;
    this.inFlight ??= this.drain();
  }

  /** Resolves when every queued position is written; rejects with the first failure. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    if (this.failure) throw this.failure;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending !== null && this.failure === null) {
        const position = this.pending;
        this.pending = null;
        try {
          await this.persist(position);
          this.written = position;
        } catch (err) {
          this.failure = err as CheckpointWriteFailed;
          this.onFailure(this.failure);
        }
      }
    } finally {
      this.inFlight = null;
    }
  }
}
