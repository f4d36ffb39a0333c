/** One queue's partitions: position, lease holder, retries; stuck ones first. */
import { useState } from 'preact/hooks';
import { get } from '../api.js';
import { ErrorLine, Panel } from '../components.js';
import { age, count } from '../format.js';
import { usePoll } from '../hooks.js';
import type { PartitionPage } from '../types.js';

const PAGE = 200;

/** The stuck partitions of the whole queue come first; a page of them at a time. */
export function PartitionsPanel(props: { queue: string }) {
  const [offset, setOffset] = useState(0);
  const [stuckOnly, setStuckOnly] = useState(false);
  const { value, error } = usePoll(
    () =>
      get<PartitionPage>('partitions', {
        queue: props.queue,
        offset,
        limit: PAGE,
        stuckOnly: String(stuckOnly),
      }),
    3000,
    [props.queue, offset, stuckOnly],
  );
  const rows = value?.partitions ?? [];
  const total = value?.total ?? 0;
  return (
    <Panel
      title={`Partitions of ${props.queue}`}
      id="partitions"
      actions={
        <>
          <span data-testid="stuck-count">{count(value?.stuck)} stuck</span>{' '}
          <label>
            <input
              type="checkbox"
              name="stuckOnly"
              checked={stuckOnly}
              onChange={() => {
                setStuckOnly(!stuckOnly);
                setOffset(0);
              }}
            />{' '}
            stuck only
          </label>
        </>
      }
    >
      <ErrorLine error={error} />
      <table class="grid" data-testid="partitions">
        <thead>
          <tr>
            <th class="n">Partition</th>
            <th class="n">Sequenced</th>
            <th class="n">Acknowledged</th>
            <th class="n">Pending</th>
            <th class="n">Undelivered</th>
            <th class="n">Oldest</th>
            <th title="Leased delivery, and any on SQLite. Transactional delivery on PostgreSQL and MySQL holds a partition with a row lock, which is not shown.">
              Lease holder
            </th>
            <th class="n">Attempts</th>
            <th>Stuck</th>
            <th>Last error</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <tr key={p.partition} class={p.stuck ? 'stuck' : undefined} data-partition={p.partition}>
              <td class="n">{p.partition}</td>
              <td class="n">{count(p.sequenced)}</td>
              <td class="n">{count(p.acknowledged)}</td>
              <td class="n">{count(p.pending)}</td>
              <td class="n">{count(p.undelivered)}</td>
              <td class="n">{p.oldestAgeMs > 0 ? age(p.oldestAgeMs) : '–'}</td>
              <td>{p.leaseOwner ? `${p.leaseOwner} (${age(p.leaseExpiresInMs)} left)` : '–'}</td>
              <td class="n">
                {count(p.attempts)}
                {p.retryInMs !== null && ` (retry in ${age(p.retryInMs)})`}
              </td>
              <td>{p.stuck ?? ''}</td>
              <td class="clip" title={p.lastError ?? ''}>
                {p.lastError ?? ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="pager">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Earlier
        </button>
        <button type="button" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
          Later
        </button>
        <span class="status" data-testid="partitions-shown">
          {total === 0 ? 'none' : `${count(offset + 1)}–${count(offset + rows.length)} of ${count(total)}`}
        </span>
      </div>
    </Panel>
  );
}
