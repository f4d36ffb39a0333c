/**
 * Reads of a journal in PostgreSQL: only sequenced events (those in the log) are visible, in
 * position order, decoded and upcast as the embedded journal's are.
 */
import { EventNotFound } from '../../errors.js';
import type { Row, SqlExecutor } from '../../sql/index.js';
import { ChainChecker } from '../chain-check.js';
import type { EventRecord } from '../codec.js';
import { validateEntity } from '../coordinate.js';
import { idFromString, idToString } from '../ids.js';
import type { PayloadVersions } from '../payload-versions.js';
import { toStoredEvent } from '../read/event-reader.js';
import { readAllOptions, readStreamOptions } from '../read/read-options.js';
import type {
  EffectTree,
  ReadAllOptions,
  ReadPage,
  ReadStreamOptions,
  StoredEvent,
  VerifyResult,
} from '../types.js';
import { recordOfRow } from './records.js';
import type { JournalStatements } from './statements.js';

export class JournalReads {
  constructor(
    private readonly ex: SqlExecutor,
    private readonly st: JournalStatements,
    private readonly versions: PayloadVersions,
  ) {}

  private async records(sql: string, params: unknown[]): Promise<EventRecord[]> {
    return (await this.ex.query(sql, params)).rows.map((r: Row) => recordOfRow(r));
  }

  private events(records: EventRecord[]): StoredEvent[] {
    return this.versions.upcastAll(records.map(toStoredEvent));
  }

  /** The sequenced records of these event ids, in position order. */
  recordsById(ids: string[]): Promise<EventRecord[]> {
    return this.records(this.st.byIds, [ids]);
  }

  /** The sequenced records with these row keys, by row key. */
  async recordsByPk(pks: string[]): Promise<Map<string, EventRecord>> {
    const { rows } = await this.ex.query(this.st.byEventPks, [pks]);
    return new Map(rows.map((r: Row) => [String(r.pk), recordOfRow(r)]));
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    idFromString(id, 'id');
    return this.events(await this.recordsById([id]))[0];
  }

  async mustGet(id: string): Promise<EventRecord> {
    idFromString(id, 'id'); // a typed error for what is not an id, before the database sees it
    const [record] = await this.recordsById([id]);
    if (!record) throw new EventNotFound(id);
    return record;
  }

  async readStream(entity: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    validateEntity(entity);
    const { from, limit, backwards } = readStreamOptions(options);
    const sql = backwards ? this.st.readStreamBackwards : this.st.readStream;
    const start = from ?? (backwards ? Number.MAX_SAFE_INTEGER : 0);
    // LIMIT NULL is no limit
    return this.events(await this.records(sql, [entity, start, Number.isFinite(limit) ? limit : null]));
  }

  /**
   * A page of the global order. The log is read in windows of positions (an exact one when there
   * is no filter, positions being dense), so each query scans a bounded range whatever the
   * planner's estimates: paging through a large journal stays linear.
   */
  async readAll(options: ReadAllOptions = {}, visible: number): Promise<ReadPage> {
    const { after, limit, region } = readAllOptions(options);
    const from = Math.max(after, (region?.fromPosition ?? 1) - 1);
    const end = Math.min(visible, region?.toPosition ?? visible);
    const types = region?.types ? [...region.types] : null;
    const scope = region?.scope ?? null;
    const prefix = region?.entityPrefix ?? null;
    const filtered = types !== null || scope !== null || prefix !== null;
    const window = filtered ? Math.max(limit * 4, 4096) : limit;
    const records: EventRecord[] = [];
    let scanned = from; // every position up to here has been looked at
    while (records.length < limit && scanned < end) {
      const upTo = Math.min(end, scanned + window);
      const wanted = limit - records.length;
      const found = await this.records(this.st.readAll, [
        scanned,
        upTo,
        types,
        types,
        scope,
        scope,
        prefix,
        prefix,
        prefix,
        wanted,
      ]);
      records.push(...found);
      // A full answer may end before the window does: only up to its last event is looked at.
      scanned = found.length === wanted ? found[found.length - 1].position : upTo;
    }
    const full = records.length === limit;
    return {
      events: this.events(records),
      nextAfter: full ? records[records.length - 1].position : Math.max(after, Math.min(scanned, end)),
      done: !full,
    };
  }

  /** The causation chain of an event: its cause, that event's cause, ... up to the root. */
  async causes(id: string): Promise<StoredEvent[]> {
    const chain: EventRecord[] = [];
    let at = await this.mustGet(id);
    while (at.causation !== null) {
      const [cause] = await this.recordsById([idToString(at.causation)]);
      if (!cause) break;
      chain.push(cause);
      at = cause;
    }
    return this.events(chain);
  }

  /** The event and its effects, breadth first, one query per level, at most `limit` events. */
  async effects(id: string, limit = Number.MAX_SAFE_INTEGER): Promise<EffectTree> {
    const root: { event: StoredEvent; effects: EffectTree[] } = {
      event: this.events([await this.mustGet(id)])[0],
      effects: [],
    };
    let count = 1;
    for (let level = [root]; level.length > 0 && count < limit; ) {
      const byId = new Map(level.map((t) => [t.event.id, t]));
      const kids = await this.records(this.st.causedByAny, [[...byId.keys()], limit - count]);
      // In the parents' order, each parent's effects by position: the next level, breadth first.
      const next = this.events(kids).map((event) => ({ event, effects: [] as EffectTree[] }));
      for (const kid of next) byId.get(kid.event.causationId!)!.effects.push(kid);
      count += next.length;
      level = next;
    }
    return root;
  }

  async correlated(correlationId: string): Promise<StoredEvent[]> {
    idFromString(correlationId, 'correlationId');
    return this.events(await this.records(this.st.correlated, [correlationId]));
  }

  /** The earlier events of the event's stream, newest first (`limit` of them at most). */
  async walkAncestors(id: string, limit = Number.MAX_SAFE_INTEGER): Promise<StoredEvent[]> {
    const record = await this.mustGet(id);
    if (record.streamVersion === 0 || limit === 0) return [];
    return this.events(
      await this.records(this.st.readStreamBackwards, [record.entity, record.streamVersion - 1, limit]),
    );
  }

  /**
   * Checks every stream's hash chain from the first event, in position order: positions dense,
   * versions contiguous, each hash matching its event and each `prevHash` its predecessor's hash.
   */
  async verify(
    visible: number,
    onProgress?: (checked: number, total: number) => void,
  ): Promise<VerifyResult> {
    const chain = new ChainChecker();
    for (let after = 0; after < visible; ) {
      const page = await this.recordsAfter(after, visible, 2000);
      if (page.length === 0) break;
      for (const r of page) {
        const misfit = chain.check(r);
        if (misfit)
          return {
            ok: false,
            events: chain.checked,
            streams: chain.streams,
            firstBreak: {
              ...misfit,
              entity: r.entity,
              streamVersion: r.streamVersion,
              position: r.position,
              segment: 0,
              offset: 0,
            },
          };
      }
      after = page[page.length - 1].position;
      if (after < visible) onProgress?.(chain.checked, visible);
    }
    onProgress?.(chain.checked, visible);
    return { ok: true, events: chain.checked, streams: chain.streams, firstBreak: null };
  }

  /** Stored records after position `after` (up to `visible`), in position order. */
  recordsAfter(after: number, visible: number, limit: number): Promise<EventRecord[]> {
    const upTo = Math.min(visible, after + limit); // positions are dense: an exact, bounded range
    return this.records(this.st.readAll, [after, upTo, null, null, null, null, null, null, null, limit]);
  }
}
