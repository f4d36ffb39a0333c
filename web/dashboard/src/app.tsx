/** The page: an Outbox tab and a Journal tab, as the dashboard was started with; state in the URL hash. */
import { useEffect, useState } from 'preact/hooks';
import { get } from './api.js';
import { ErrorLine } from './components.js';
import { usePoll } from './hooks.js';
import { EventPanel } from './journal/event.js';
import { JournalOverview } from './journal/overview.js';
import { StreamsPanel } from './journal/streams.js';
import { DeadLettersPanel } from './outbox/dead-letters.js';
import { PartitionsPanel } from './outbox/partitions.js';
import { QueuesPanel } from './outbox/queues.js';
import type { Overview } from './types.js';

/** `#/outbox/<queue>`, `#/journal/stream/<entity>`, `#/journal/event/<id>`. */
interface Route {
  tab: 'outbox' | 'journal' | null;
  queue: string | null;
  entity: string | null;
  event: string | null;
}

/** Decoded, or null when absent or malformed (a hand-edited link). */
function decode(text: string | undefined): string | null {
  try {
    return text ? decodeURIComponent(text) : null;
  } catch {
    return null;
  }
}

function parseHash(hash: string): Route {
  const [tab, kind, ...rest] = hash.replace(/^#\/?/, '').split('/');
  const arg = decode(rest.join('/'));
  if (tab === 'outbox') return { tab, queue: decode(kind), entity: null, event: null };
  if (tab === 'journal')
    return {
      tab,
      queue: null,
      entity: kind === 'stream' ? arg : null,
      event: kind === 'event' ? arg : null,
    };
  return { tab: null, queue: null, entity: null, event: null };
}

const go = (hash: string) => {
  window.location.hash = hash;
};

export function App() {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const overview = usePoll(() => get<Overview>('overview'), 2000);
  const o = overview.value;
  const tab = route.tab ?? (o?.outbox ? 'outbox' : o?.journal ? 'journal' : null);

  return (
    <>
      <header class="top">
        <h1>Causeway</h1>
        <nav>
          {o?.outbox && (
            <a href="#/outbox" class={tab === 'outbox' ? 'active' : ''}>
              Outbox
            </a>
          )}
          {o?.journal && (
            <a href="#/journal" class={tab === 'journal' ? 'active' : ''}>
              Journal
            </a>
          )}
        </nav>
        {o?.readOnly && <span class="badge">read-only</span>}
      </header>
      <main>
        <ErrorLine error={overview.error} />
        {!o && !overview.error && <p class="empty">Loading…</p>}
        {o && tab === 'outbox' && o.outbox && (
          <>
            <QueuesPanel
              queues={o.outbox.queues}
              selected={route.queue}
              onSelect={(q) => go(`#/outbox/${encodeURIComponent(q)}`)}
            />
            {route.queue && <PartitionsPanel queue={route.queue} />}
            <DeadLettersPanel
              queues={o.outbox.queues.map((q) => q.queue)}
              readOnly={o.readOnly}
              onChange={() => void overview.refresh()}
            />
          </>
        )}
        {o && tab === 'journal' && o.journal && (
          <>
            <JournalOverview journal={o.journal} />
            {route.event && (
              <EventPanel
                id={route.event}
                onOpen={(id) => go(`#/journal/event/${encodeURIComponent(id)}`)}
                onStream={(entity) => go(`#/journal/stream/${encodeURIComponent(entity)}`)}
              />
            )}
            <StreamsPanel
              entity={route.entity}
              onStream={(entity) => go(`#/journal/stream/${encodeURIComponent(entity)}`)}
              onEvent={(id) => go(`#/journal/event/${encodeURIComponent(id)}`)}
            />
          </>
        )}
      </main>
    </>
  );
}
