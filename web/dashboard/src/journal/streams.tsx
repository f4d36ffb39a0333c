/** Streams by entity prefix, and one stream's events page by page. */
import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { ErrorLine, Field, Panel } from '../components.js';
import { count, time } from '../format.js';
import { usePoll } from '../hooks.js';
import type { StoredEvent, StreamSummary } from '../types.js';

const PAGE = 50;
const SHOWN = 200;

export function StreamsPanel(props: {
  entity: string | null;
  onStream: (entity: string) => void;
  onEvent: (id: string) => void;
}) {
  const [prefix, setPrefix] = useState('');
  // One more than shown: is there more?
  const streams = usePoll(() => get<StreamSummary[]>('journal/streams', { prefix, limit: SHOWN + 1 }), 5000, [
    prefix,
  ]);
  const list = (streams.value ?? []).slice(0, SHOWN);
  return (
    <Panel title="Streams" id="streams">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <Field
          label="Entity prefix (whole segments: order, order:1)"
          name="prefix"
          placeholder="order"
          value={prefix}
          onValue={setPrefix}
        />
      </form>
      <ErrorLine error={streams.error} />
      {(streams.value?.length ?? 0) > SHOWN && (
        <p class="status">The first {SHOWN} streams are shown: a longer prefix narrows them.</p>
      )}
      <div class="split">
        <table class="grid" data-testid="streams">
          <thead>
            <tr>
              <th>Entity</th>
              <th>Scope</th>
              <th class="n">Events</th>
            </tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <tr
                key={s.entity}
                data-entity={s.entity}
                class={props.entity === s.entity ? 'selected clickable' : 'clickable'}
                onClick={() => props.onStream(s.entity)}
              >
                <td>{s.entity}</td>
                <td>{s.scope}</td>
                <td class="n">{count(s.events)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {props.entity !== null && (
          <StreamEvents key={props.entity} entity={props.entity} onEvent={props.onEvent} />
        )}
      </div>
    </Panel>
  );
}

function StreamEvents(props: { entity: string; onEvent: (id: string) => void }) {
  const [from, setFrom] = useState(0); // stream versions start at 0
  const events = usePoll(
    () => get<StoredEvent[]>('journal/stream', { entity: props.entity, from, limit: PAGE }),
    5000,
    [props.entity, from],
  );
  const list = events.value ?? [];
  return (
    <div class="stream">
      <h3>{props.entity}</h3>
      <ErrorLine error={events.error} />
      <table class="grid" data-testid="stream-events">
        <thead>
          <tr>
            <th class="n">Version</th>
            <th>Type</th>
            <th class="n">Position</th>
            <th>Time</th>
          </tr>
        </thead>
        <tbody>
          {list.map((e) => (
            <tr key={e.id} data-event={e.id} class="clickable" onClick={() => props.onEvent(e.id)}>
              <td class="n">{e.streamVersion}</td>
              <td>{e.type}</td>
              <td class="n">{count(e.position)}</td>
              <td>{time(e.timestamp)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="pager">
        <button type="button" disabled={from <= 0} onClick={() => setFrom(Math.max(0, from - PAGE))}>
          Earlier
        </button>
        <button type="button" disabled={list.length < PAGE} onClick={() => setFrom(from + PAGE)}>
          Later
        </button>
      </div>
    </div>
  );
}
