import { InvalidArgument, PayloadVersionUnsupported } from '../errors.js';
import type { PayloadVersionDeclaration, StoredEvent, Upcaster } from './types.js';

interface Declared {
  current: number;
  /** `steps[v]` turns a version-`v` payload into version `v + 1`. */
  steps: Map<number, Upcaster>;
}

/**
 * Payload versions declared per event type, and the upcasters that bring older payloads up to the
 * current version on read. Stored bytes never change; only what reads return does.
 */
export class PayloadVersions {
  private readonly byType = new Map<string, Declared>();

  /** Declares `type`'s current payload version and its upcasters; replaces an earlier declaration. */
  declare(type: string, declaration: PayloadVersionDeclaration): void {
    if (typeof type !== 'string' || type.length === 0)
      throw new InvalidArgument('event type must be a non-empty string', { type });
    const { current, upcasters = {} } = declaration ?? ({} as PayloadVersionDeclaration);
    if (!Number.isInteger(current) || current < 1 || current > 0xffff_ffff)
      throw new InvalidArgument('current payload version must be a positive integer', { type, current });
    const steps = new Map<number, Upcaster>();
    for (const [key, fn] of Object.entries(upcasters)) {
      const from = Number(key);
      if (!Number.isInteger(from) || from < 1 || from >= current)
        throw new InvalidArgument(`upcaster keys must be versions from 1 to ${current - 1}`, {
          type,
          from: key,
        });
      if (typeof fn !== 'function')
        throw new InvalidArgument('an upcaster must be a function', { type, from });
      steps.set(from, fn);
    }
    this.byType.set(type, { current, steps });
  }

  /** The version an append of `type` gets when it names none. */
  versionForAppend(type: string, requested: number | undefined): number {
    const declared = this.byType.get(type);
    if (requested === undefined) return declared?.current ?? 1;
    if (declared && requested > declared.current)
      throw new PayloadVersionUnsupported(type, requested, declared.current);
    return requested;
  }

  /** The event as the current code understands it: upcast when older, an error when newer. */
  upcast(event: StoredEvent): StoredEvent {
    const declared = this.byType.get(event.type);
    if (declared === undefined || event.payloadVersion === declared.current) return event;
    if (event.payloadVersion > declared.current)
      throw new PayloadVersionUnsupported(event.type, event.payloadVersion, declared.current);
    let data = event.data;
    for (let v = event.payloadVersion; v < declared.current; v++) {
      const step = declared.steps.get(v);
      if (step === undefined)
        throw new PayloadVersionUnsupported(event.type, event.payloadVersion, declared.current);
      data = step(data, event);
    }
    return { ...event, data, payloadVersion: declared.current };
  }

  /** Upcasts a list in place (cheap when nothing is declared). */
  upcastAll(events: StoredEvent[]): StoredEvent[] {
    if (this.byType.size === 0) return events;
    for (let i = 0; i < events.length; i++) events[i] = this.upcast(events[i]);
    return events;
  }
}
