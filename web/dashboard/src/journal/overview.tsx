/** The journal's counts and watermarks, and its "verify" button with progress. */
import { get, post } from '../api.js';
import { ErrorLine, Figure, Panel } from '../components.js';
import { bytes, count } from '../format.js';
import { usePoll } from '../hooks.js';
import type { Overview, VerifyState } from '../types.js';

export function JournalOverview(props: { journal: NonNullable<Overview['journal']> }) {
  const { stats, watermarks } = props.journal;
  const verify = usePoll(() => get<VerifyState>('journal/verify'), 1000);
  const v = verify.value;
  const start = async () => {
    await post<VerifyState>('journal/verify');
    await verify.refresh();
  };
  const progress = v && v.total > 0 ? Math.round((v.checked / v.total) * 100) : 0;
  return (
    <Panel
      title="Journal"
      id="journal"
      actions={
        <button type="button" data-action="verify" disabled={v?.running} onClick={start}>
          Verify chains
        </button>
      }
    >
      <div class="figures">
        <Figure label="Events" value={count(stats.events)} testId="journal-events" />
        <Figure label="Streams" value={count(stats.streams)} testId="journal-streams" />
        <Figure label="Segments" value={count(stats.segments)} />
        <Figure label="Bytes" value={bytes(stats.bytes)} />
        {Object.entries(watermarks).map(([name, position]) => (
          <Figure key={name} label={`Watermark: ${name}`} value={count(position)} />
        ))}
      </div>
      <div class="verify" data-testid="verify">
        {v?.running && (
          <>
            <progress max={100} value={progress} /> {count(v.checked)} of {count(v.total)} events checked
          </>
        )}
        {v && !v.running && v.result && (
          <span class={v.result.ok ? 'ok' : 'error'} data-testid="verify-result">
            {v.result.ok
              ? `Verified: ${count(v.result.events)} events in ${count(v.result.streams)} streams, every chain intact`
              : `Broken chain: ${JSON.stringify(v.result.firstBreak)}`}
          </span>
        )}
        <ErrorLine error={v?.error ?? verify.error} />
      </div>
    </Panel>
  );
}
