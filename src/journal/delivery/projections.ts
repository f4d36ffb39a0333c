import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgument, IoError } from '../../errors.js';
import { checkOptions, keys } from '../../validation.js';
import { assertSerializable, pack, unpack } from '../codec.js';
import { validateEntity } from '../coordinate.js';
import { regionMatches, validateRegion } from '../region.js';
import type { StoredEvent } from '../types.js';
import { validateCheckpointId } from './checkpoint-file.js';
import { checkAgainstJournal } from './cursor.js';
import type { JournalFeed } from './feed.js';
import type { Projection, ProjectionState, ProjectOptions } from './types.js';

const PAGE = 4096;
const PROJECT_OPTIONS = keys('entity', 'freshness');
/** A registered projection catches up this many events per turn of the event loop. */
const EVENTS_PER_TURN = 16_384;
/** Disk caches are rewritten at most this often (and on close). */
const PERSIST_EVERY_MS = 1000;

/** A cached state: what it has seen, and whether the disk copy is behind. */
interface Entry {
  state: unknown;
  /** Global position up to which the journal has been read for it. */
  position: number;
  /** For a stream fold: the next stream version to read. */
  nextVersion: number;
  dirty: boolean;
  savedAt: number;
}

interface Registration {
  projection: Projection<unknown>;
  failure: unknown;
}

/**
 * Projections of one journal: incremental folds cached by name, version and entity, in memory and
 * optionally on disk (`<journal>/projections/`). Registered projections are kept up to date as events
 * arrive and hold the journal's `applied` watermark at the slowest of them.
 */
export class Projections {
  private readonly entries = new Map<string, Entry>();
  private readonly registered = new Map<string, Registration>();
  /** The newest version of each projection name used here: older versions' states are not saved. */
  private readonly newest = new Map<string, number>();
  private scheduled = false;
  private stopListening: (() => void) | null = null;

  constructor(private readonly journal: JournalFeed) {}

  /** The projection's state: caught up to everything visible (`consistent`) or as cached (`maybe-stale`). */
  project<S>(projection: Projection<S>, options: ProjectOptions = {}): ProjectionState<S> {
    this.validate(projection);
    const { entity, freshness } = projectOptions(options);
    const failed = this.registered.get(projection.name)?.failure;
    if (failed) throw failed;
    const key = keyOf(projection, entity);
    let entry = this.entries.get(key) ?? this.load(projection, entity);
    if (entry === undefined || freshness === 'consistent') entry = this.catchUp(projection, entity, entry);
    return { state: entry.state as S, position: entry.position };
  }

  /**
   * Keeps the projection (over its whole region) up to date in the background and makes it part of
   * the `applied` watermark. Registering a name again replaces the earlier projection.
   */
  register<S>(projection: Projection<S>): void {
    this.validate(projection);
    const key = keyOf(projection, undefined);
    const entry = this.entries.get(key) ?? this.load(projection, undefined);
    this.registered.set(projection.name, { projection: projection as Projection<unknown>, failure: null });
    this.journal.trackApplied(this.registered.get(projection.name)!, entry?.position ?? 0);
    this.stopListening ??= this.journal.onCommit(() => this.schedule());
    this.schedule();
  }

  /** Stops keeping the projection up to date and removes it from the `applied` watermark. */
  unregister(name: string): boolean {
    const registration = this.registered.get(name);
    if (!registration) return false;
    this.registered.delete(name);
    this.journal.untrackApplied(registration);
    if (this.registered.size === 0) {
      this.stopListening?.();
      this.stopListening = null;
    }
    return true;
  }

  private validate(projection: Projection<unknown>): void {
    validateProjection(projection);
    this.newest.set(projection.name, Math.max(this.newest.get(projection.name) ?? 0, projection.version));
  }

  /** Writes every disk-cached state that changed since it was last written (on close: never throws). */
  flush(): void {
    for (const [key, entry] of this.entries) {
      if (!entry.dirty) continue;
      try {
        this.save(key, entry);
      } catch (err) {
        this.journal.logger.warn(
          { err, projection: key.split('\n', 1)[0] },
          'projection cache not saved on close',
        );
      }
    }
  }

  private schedule(): void {
    if (this.scheduled || this.registered.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.advanceRegistered();
    });
  }

  /** Applies new events to registered projections, a bounded amount per turn. */
  private advanceRegistered(): void {
    let behind = false;
    for (const registration of this.registered.values()) {
      if (registration.failure) continue;
      const { projection } = registration;
      try {
        const entry = this.catchUp(
          projection,
          undefined,
          this.entries.get(keyOf(projection, undefined)),
          EVENTS_PER_TURN,
        );
        this.journal.trackApplied(registration, entry.position);
        behind ||= entry.position < this.journal.watermarks().visible;
      } catch (err) {
        registration.failure = err; // project() reports it; the watermark stays where it was
      }
    }
    if (behind) this.schedule();
  }

  /** Applies the events the entry lacks (up to `budget` of them), caching the result. */
  private catchUp(
    projection: Projection<unknown>,
    entity: string | undefined,
    cached: Entry | undefined,
    budget = Number.POSITIVE_INFINITY,
  ): Entry {
    const key = keyOf(projection, entity);
    const entry: Entry = cached ?? {
      state: projection.initial(),
      position: 0,
      nextVersion: 0,
      dirty: true,
      savedAt: 0,
    };
    const region = projection.region ?? {};
    const visible = this.journal.watermarks().visible;
    let applied = 0;
    try {
      if (entity === undefined) {
        while (entry.position < visible && applied < budget) {
          const page = this.journal.readAll({ after: entry.position, limit: PAGE, region });
          applied += this.fold(projection, entry, page.events);
          entry.position = page.nextAfter;
          if (page.done) break;
        }
      } else {
        for (;;) {
          const events = this.journal.readStream(entity, { from: entry.nextVersion, limit: PAGE });
          if (events.length === 0) break;
          entry.nextVersion += events.length;
          applied += this.fold(
            projection,
            entry,
            events.filter((e) => regionMatches(region, e)),
          );
        }
        entry.position = Math.max(entry.position, visible);
      }
    } catch (err) {
      this.entries.delete(key); // apply may have changed the state halfway
      throw err;
    }
    this.entries.set(key, entry);
    if (applied > 0) entry.dirty = true;
    if (projection.cache === 'disk' && entry.dirty && Date.now() - entry.savedAt >= PERSIST_EVERY_MS)
      this.save(key, entry);
    return entry;
  }

  private fold(projection: Projection<unknown>, entry: Entry, events: readonly StoredEvent[]): number {
    let state = entry.state;
    for (const event of events) state = projection.apply(state, event);
    entry.state = state;
    return events.length;
  }

  // ---------------------------------------------------------------- disk cache

  private fileOf(key: string): string {
    const [name, version] = key.split('\n', 2);
    const digest = createHash('sha256').update(key).digest('hex').slice(0, 32);
    return path.join(this.journal.dir, 'projections', name, `v${version}`, `${digest}.state`);
  }

  /**
   * The disk-cached entry, when there is one that fits this journal. A damaged cache is ignored; one
   * that covers events this journal does not have (restored from a backup, copied from another
   * journal) is logged and rebuilt, never folded on from.
   */
  private load(projection: Projection<unknown>, entity: string | undefined): Entry | undefined {
    if (projection.cache !== 'disk') return undefined;
    const key = keyOf(projection, entity);
    let saved: { key: string; position: number; nextVersion: number; state: unknown; event?: string | null };
    try {
      saved = unpack(fs.readFileSync(this.fileOf(key))) as typeof saved;
    } catch {
      return undefined;
    }
    if (saved?.key !== key || !Number.isSafeInteger(saved.position)) return undefined;
    try {
      checkAgainstJournal(this.journal, `projection ${projection.name}`, {
        position: saved.position,
        event: saved.event ?? null,
      });
    } catch (err) {
      this.journal.logger.warn(
        { err, projection: projection.name },
        'projection cache does not fit the journal; rebuilding it',
      );
      return undefined;
    }
    const entry: Entry = {
      state: saved.state,
      position: saved.position,
      nextVersion: saved.nextVersion,
      dirty: false,
      savedAt: Date.now(),
    };
    this.entries.set(key, entry);
    return entry;
  }

  private save(key: string, entry: Entry): void {
    const [name, version] = key.split('\n', 2);
    entry.dirty = false;
    if (Number(version) < (this.newest.get(name) ?? 0)) return; // superseded by a newer version
    const file = this.fileOf(key);
    assertSerializable(entry.state, 'projection state');
    const { position } = entry;
    const event = position === 0 ? null : this.journal.eventIdAt(position);
    const bytes = pack({ key, position, event, nextVersion: entry.nextVersion, state: entry.state });
    try {
      this.journal.makeDurableSync(position); // a cache never covers events a power loss could take back
    } catch (err) {
      this.journal.logger.warn(
        { err, projection: name },
        'projection cache not saved: its events are not durable',
      );
      return;
    }
    entry.savedAt = Date.now();
    try {
      writeCache(file, bytes);
    } catch (err) {
      // Only a cache: the fold goes on in memory, and the next save tries again.
      entry.dirty = true;
      this.journal.logger.warn(
        { err: new IoError('write projection cache', file, err), projection: name },
        'projection cache not saved; the projection goes on in memory and tries again later',
      );
    }
  }
}

/** Replaces a cache file atomically; a new version's first file removes the other versions' files. */
function writeCache(file: string, bytes: Buffer): void {
  const versionDir = path.dirname(file);
  if (!fs.existsSync(versionDir)) {
    const nameDir = path.dirname(versionDir);
    if (fs.existsSync(nameDir))
      for (const old of fs.readdirSync(nameDir))
        fs.rmSync(path.join(nameDir, old), { recursive: true, force: true });
    fs.mkdirSync(versionDir, { recursive: true });
  }
  fs.writeFileSync(`${file}.tmp`, bytes);
  fs.renameSync(`${file}.tmp`, file);
}

const keyOf = (p: Projection<unknown>, entity: string | undefined): string =>
  `${p.name}\n${p.version}\n${entity ?? ''}`;

/** `project`'s options checked, with their defaults (every backend reads them alike). */
export function projectOptions(
  options: ProjectOptions,
): Required<Pick<ProjectOptions, 'freshness'>> & ProjectOptions {
  checkOptions(options, PROJECT_OPTIONS, 'project option');
  const { entity, freshness = 'consistent' } = options;
  if (entity !== undefined) validateEntity(entity);
  if (freshness !== 'consistent' && freshness !== 'maybe-stale')
    throw new InvalidArgument('freshness must be consistent or maybe-stale', { freshness });
  return { entity, freshness };
}

/** Refuses what is not a projection (a name, a version from 1, `initial` and `apply`). */
export function validateProjection(p: Projection<unknown>): void {
  if (p === null || typeof p !== 'object') throw new InvalidArgument('a projection must be an object');
  validateCheckpointId(p.name, 'projection name');
  if (!Number.isInteger(p.version) || p.version < 1)
    throw new InvalidArgument('projection version must be a positive integer', {
      name: p.name,
      version: p.version,
    });
  if (typeof p.initial !== 'function' || typeof p.apply !== 'function')
    throw new InvalidArgument('a projection needs initial() and apply(state, event)', { name: p.name });
  if (p.region !== undefined) validateRegion(p.region);
  if (p.cache !== undefined && p.cache !== 'memory' && p.cache !== 'disk')
    throw new InvalidArgument('projection cache must be memory or disk', { name: p.name, cache: p.cache });
}
