/** Small pieces the panels share. */
import type { ComponentChildren } from 'preact';

export function Panel(props: {
  title: string;
  id?: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <section class="panel" id={props.id}>
      <header>
        <h2>{props.title}</h2>
        <div class="actions">{props.actions}</div>
      </header>
      {props.children}
    </section>
  );
}

export function ErrorLine(props: { error: string | null; onDismiss?: () => void }) {
  return props.error ? (
    <p class="error" role="alert">
      {props.error}{' '}
      {props.onDismiss && (
        <button type="button" class="link" onClick={props.onDismiss}>
          dismiss
        </button>
      )}
    </p>
  ) : null;
}

export function Figure(props: { label: string; value: string; testId?: string; warn?: boolean }) {
  return (
    <div class={props.warn ? 'figure warn' : 'figure'}>
      <span class="label">{props.label}</span>
      <span class="value" data-testid={props.testId}>
        {props.value}
      </span>
    </div>
  );
}

/** A JSON value, pretty-printed. */
export function Json(props: { value: unknown; testId?: string }) {
  return (
    <pre class="json" data-testid={props.testId}>
      {JSON.stringify(props.value, null, 2) ?? 'undefined'}
    </pre>
  );
}

/** A labelled input that reports its text as it is typed. */
export function Field(props: {
  label: string;
  name: string;
  value: string;
  onValue: (value: string) => void;
  type?: 'text' | 'number';
  placeholder?: string;
}) {
  const kind =
    props.type === 'number' ? ({ type: 'number', min: '0' } as const) : ({ type: 'text' } as const);
  return (
    <label>
      {props.label}{' '}
      <input
        {...kind}
        name={props.name}
        placeholder={props.placeholder}
        value={props.value}
        onInput={(e) => props.onValue((e.target as HTMLInputElement).value)}
      />
    </label>
  );
}
