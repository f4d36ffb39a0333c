/** One queue's partitions: position, lease holder, retries; stuck ones first. */
import { get } from '../api.js';
import { ErrorLine, Panel } from '../components.js';
import { age, count } from '../format.js';
import { usePoll } from '../hooks.js';
import type { PartitionState } from '../types.js';

export function PartitionsPanel(props: { queue: string }) {
  const { value, error } = usePoll(
    () => get<PartitionState[]>('partitions', { queue: props.queue, limit: 1000 }),
    3000,
    [props.queue],
  );
  const rows = [...(value ?? [])].sort((a, b) => Number(b.stuck !== null) - Number(a.stuck !== null));
  const stuck = rows.filter((p) => p.stuck !== null).length;
  return (
    <Panel
      title={`Partitions of ${props.queue}`}
      id="partitions"
      actions={<span data-testid="stuck-count">{count(stuck)} stuck</span>}
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
    </Panel>
  );
}
