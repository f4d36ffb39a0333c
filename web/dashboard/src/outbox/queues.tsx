/** Every queue's figures, live, and their charts over the last hour. */
import { get } from '../api.js';
import { Panel } from '../components.js';
import { age, count, rate } from '../format.js';
import { usePoll } from '../hooks.js';
import type { History, QueueStats } from '../types.js';
import { QueueChart } from './chart.js';

export function QueuesPanel(props: {
  queues: QueueStats[];
  onSelect: (queue: string) => void;
  selected: string | null;
}) {
  const history = usePoll(() => get<History>('history'), 5000);
  const samples = history.value?.samples ?? [];
  const throughput = (queue: string) =>
    samples.at(-1)?.queues.find((q) => q.queue === queue)?.throughputPerSec ?? null;
  return (
    <Panel title="Queues" id="queues">
      <table class="grid" data-testid="queues">
        <thead>
          <tr>
            <th>Queue</th>
            <th class="n">Partitions</th>
            <th class="n">Depth</th>
            <th class="n">Pending</th>
            <th class="n">Lag</th>
            <th class="n">Oldest</th>
            <th class="n">Throughput</th>
            <th class="n">Retrying</th>
            <th class="n">Dead letters</th>
          </tr>
        </thead>
        <tbody>
          {props.queues.map((q) => (
            <tr
              key={q.queue}
              data-queue={q.queue}
              class={props.selected === q.queue ? 'selected clickable' : 'clickable'}
              onClick={() => props.onSelect(q.queue)}
            >
              <td>{q.queue}</td>
              <td class="n">{count(q.partitions)}</td>
              <td class="n" data-field="depth">
                {count(q.depth)}
              </td>
              <td class="n" data-field="pending">
                {count(q.pending)}
              </td>
              <td class="n" data-field="lag">
                {count(q.lag)}
              </td>
              <td class="n" data-field="oldest">
                {q.depth > 0 ? age(q.oldestAgeMs) : '–'}
              </td>
              <td class="n" data-field="throughput">
                {rate(throughput(q.queue))}
              </td>
              <td class={q.retryingPartitions > 0 ? 'n warn' : 'n'} data-field="retrying">
                {count(q.retryingPartitions)}
              </td>
              <td class={q.deadLetters > 0 ? 'n warn' : 'n'} data-field="deadLetters">
                {count(q.deadLetters)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.queues.length === 0 && <p class="empty">No queues are registered in this outbox.</p>}
      <div class="charts">
        <QueueChart title="Depth" field="depth" samples={samples} testId="chart-depth" />
        <QueueChart
          title="Throughput (messages/s)"
          field="throughputPerSec"
          samples={samples}
          testId="chart-throughput"
        />
        <QueueChart title="Lag" field="lag" samples={samples} testId="chart-lag" />
      </div>
    </Panel>
  );
}
