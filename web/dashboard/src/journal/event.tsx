/** One event: payload, metadata, extensions, its receipt with the signature check, and its causal graph. */
import { get } from '../api.js';
import { ErrorLine, Json, Panel } from '../components.js';
import { count, time } from '../format.js';
import { usePoll } from '../hooks.js';
import type { EventDetail, ReceiptVerification } from '../types.js';
import { CausalGraphView } from './graph.js';

function receiptLine(v: ReceiptVerification): string {
  if (v.status === 'signed') return `Signature valid (key ${v.keyId})`;
  if (v.status === 'unsigned') return 'Unsigned: the journal has no receipt keys';
  return `Invalid receipt: ${v.message}`;
}

export function EventPanel(props: {
  id: string;
  onOpen: (id: string) => void;
  onStream: (entity: string) => void;
}) {
  const { value, error } = usePoll(
    () => get<EventDetail>(`journal/events/${encodeURIComponent(props.id)}`),
    0,
    [props.id],
  );
  const e = value?.event;
  return (
    <Panel title={e ? `Event ${e.type}` : 'Event'} id="event">
      <ErrorLine error={error} />
      {e && value && (
        <>
          <dl class="facts" data-testid="event-facts">
            <dt>Id</dt>
            <dd class="mono">{e.id}</dd>
            <dt>Stream</dt>
            <dd>
              <button type="button" class="link" onClick={() => props.onStream(e.entity)}>
                {e.entity}
              </button>{' '}
              version {e.streamVersion} (scope {e.scope})
            </dd>
            <dt>Position</dt>
            <dd>{count(e.position)}</dd>
            <dt>Time</dt>
            <dd>{time(e.timestamp)}</dd>
            <dt>Correlation</dt>
            <dd class="mono">{e.correlationId}</dd>
            <dt>Cause</dt>
            <dd class="mono">
              {e.causationId ? (
                <button type="button" class="link" onClick={() => props.onOpen(e.causationId!)}>
                  {e.causationId}
                </button>
              ) : (
                '(none)'
              )}
            </dd>
            <dt>Receipt</dt>
            <dd class={value.verification.status === 'invalid' ? 'error' : 'ok'} data-testid="receipt-check">
              {receiptLine(value.verification)}
            </dd>
          </dl>
          <div class="columns">
            <div>
              <h4>Payload (version {e.payloadVersion})</h4>
              <Json value={e.data} testId="event-payload" />
            </div>
            <div>
              <h4>Metadata</h4>
              <Json value={e.metadata ?? null} />
              <h4>Extensions</h4>
              <Json value={e.extensions ?? null} />
            </div>
            <div>
              <h4>Receipt</h4>
              <Json value={value.receipt} />
            </div>
          </div>
          <h4>Causal graph</h4>
          <CausalGraphView id={e.id} onOpen={props.onOpen} />
        </>
      )}
    </Panel>
  );
}
