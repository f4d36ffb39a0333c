/** Dead letters by filter, each message with its last error; redrive, discard and purge, confirmed. */
import { useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { ErrorLine, Field, Json, Panel } from '../components.js';
import { age, count, time } from '../format.js';
import { usePoll } from '../hooks.js';
import type { DeadLetter } from '../types.js';

interface Filter {
  queue: string;
  type: string;
  partition: string;
  olderThanMin: string;
}

/** The filter as the API takes it (empty fields left out). */
function filterParams(f: Filter) {
  return {
    queue: f.queue || undefined,
    type: f.type || undefined,
    partition: f.partition === '' ? undefined : Number(f.partition),
    olderThanMs: f.olderThanMin === '' ? undefined : Math.round(Number(f.olderThanMin) * 60_000),
  };
}

export function DeadLettersPanel(props: { queues: string[]; readOnly: boolean; onChange: () => void }) {
  const [filter, setFilter] = useState<Filter>({ queue: '', type: '', partition: '', olderThanMin: '' });
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [open, setOpen] = useState<DeadLetter | null>(null);
  const [toQueue, setToQueue] = useState('');
  const [status, setStatus] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const list = usePoll(
    () => get<DeadLetter[]>('dead-letters', { ...filterParams(filter), limit: 200 }),
    5000,
    [JSON.stringify(filter)],
  );
  const letters = list.value ?? [];

  const set = (field: keyof Filter) => (value: string) => {
    setFilter({ ...filter, [field]: value });
    setSelected(new Set());
  };
  const toggle = (id: number) => {
    const next = new Set(selected);
    if (!next.delete(id)) next.add(id);
    setSelected(next);
  };

  async function act(question: string, run: () => Promise<string>) {
    if (!window.confirm(question)) return;
    setActionError(null);
    try {
      setStatus(await run());
      setSelected(new Set());
      setOpen(null);
    } catch (err) {
      setActionError((err as Error).message);
    }
    await list.refresh();
    props.onChange();
  }
  const ids = [...selected];
  const target = toQueue.trim();
  const redrive = () =>
    act(
      `Redrive ${ids.length} dead letter(s) to ${target ? `queue ${target}` : 'their own queues'}?`,
      async () => {
        const r = await post<{ redriven: number }>('dead-letters/redrive', {
          ids,
          toQueue: target || undefined,
        });
        return `Redriven: ${count(r.redriven)}`;
      },
    );
  const discard = () =>
    act(`Discard ${ids.length} dead letter(s)? They are deleted for good.`, async () => {
      const r = await post<{ discarded: number }>('dead-letters/discard', { ids });
      return `Discarded: ${count(r.discarded)}`;
    });
  const filtered = Object.values(filterParams(filter)).some((v) => v !== undefined);
  const purge = () =>
    act('Purge every dead letter matching the filter? They are deleted for good.', async () => {
      const r = await post<{ purged: number }>('dead-letters/purge', filterParams(filter));
      return `Purged: ${count(r.purged)}`;
    });

  return (
    <Panel title="Dead letters" id="dead-letters">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Queue
          <select
            name="queue"
            value={filter.queue}
            onChange={(e) => set('queue')((e.target as HTMLSelectElement).value)}
          >
            <option value="">all</option>
            {props.queues.map((q) => (
              <option key={q} value={q}>
                {q}
              </option>
            ))}
          </select>
        </label>
        <Field label="Type" name="type" value={filter.type} onValue={set('type')} />
        <Field
          label="Partition"
          name="partition"
          type="number"
          value={filter.partition}
          onValue={set('partition')}
        />
        <Field
          label="Older than (min)"
          name="olderThan"
          type="number"
          value={filter.olderThanMin}
          onValue={set('olderThanMin')}
        />
      </form>
      {!props.readOnly && (
        <div class="toolbar">
          <Field
            label="Redrive to queue"
            name="toQueue"
            placeholder="(their own)"
            value={toQueue}
            onValue={setToQueue}
          />
          <button type="button" data-action="redrive" disabled={ids.length === 0} onClick={redrive}>
            Redrive selected
          </button>
          <button type="button" data-action="discard" disabled={ids.length === 0} onClick={discard}>
            Discard selected
          </button>
          <button
            type="button"
            data-action="purge"
            class="danger"
            disabled={!filtered}
            onClick={purge}
            title="needs a filter"
          >
            Purge matching
          </button>
        </div>
      )}
      {status && (
        <p class="status" data-testid="action-status">
          {status}
        </p>
      )}
      <ErrorLine error={actionError} onDismiss={() => setActionError(null)} />
      <ErrorLine error={list.error} />
      <table class="grid" data-testid="dead-letters">
        <thead>
          <tr>
            {!props.readOnly && <th />}
            <th>Queue</th>
            <th class="n">Partition</th>
            <th>Type</th>
            <th>Message</th>
            <th class="n">Attempts</th>
            <th class="n">Failed</th>
            <th>Last error</th>
          </tr>
        </thead>
        <tbody>
          {letters.map((d) => (
            <tr
              key={d.deadLetterId}
              data-dead-letter={d.deadLetterId}
              class="clickable"
              onClick={() => setOpen(d)}
            >
              {!props.readOnly && (
                <td>
                  <input
                    type="checkbox"
                    aria-label={`select dead letter ${d.deadLetterId}`}
                    checked={selected.has(d.deadLetterId)}
                    onClick={(e) => e.stopPropagation()}
                    onChange={() => toggle(d.deadLetterId)}
                  />
                </td>
              )}
              <td>{d.queue}</td>
              <td class="n">{d.partition}</td>
              <td>{d.type}</td>
              <td class="mono">{d.id}</td>
              <td class="n">{d.attempts}</td>
              <td class="n" title={time(d.failedAt)}>
                {age(Date.now() - Date.parse(d.failedAt))} ago
              </td>
              <td class="clip" title={d.lastError ?? ''}>
                {d.lastError ?? ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {letters.length === 0 && list.value && <p class="empty">No dead letters match.</p>}
      {open && (
        <div class="detail" data-testid="dead-letter-detail">
          <h3>
            Dead letter {open.deadLetterId}: {open.type}{' '}
            <button type="button" onClick={() => setOpen(null)}>
              close
            </button>
          </h3>
          <p>
            Message <span class="mono">{open.id}</span> in {open.queue} partition {open.partition} at{' '}
            {open.seq}, key {open.key ?? '(none)'}, enqueued {time(open.enqueuedAt)}, failed{' '}
            {time(open.failedAt)} after {open.attempts} attempt(s).
          </p>
          <h4>Last error</h4>
          <pre class="json">{open.lastError ?? '(none)'}</pre>
          <h4>Payload</h4>
          <Json value={open.payload} />
          <h4>Headers</h4>
          <Json value={open.headers} />
        </div>
      )}
    </Panel>
  );
}
