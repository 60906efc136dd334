// The protected prefixes (mitigation.guardrails.protectedPrefixes: never blackholed or filtered), one per line;
// an admin saves them (PUT /protected-prefixes: validated with the whole configuration, applied at once).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox, Loading } from '../components/error-box';
import { useCan } from '../session';
import { useAction } from '../use-action';
import { useApi } from '../use-api';

export function ProtectedPrefixes() {
  const admin = useCan('admin');
  const current = useApi<{ prefixes: string[] }>('/protected-prefixes');
  const [text, setText] = useState('');
  const action = useAction();
  useEffect(() => {
    if (current.data !== undefined) setText(current.data.prefixes.join('\n'));
  }, [current.data]);
  const save = () =>
    action.run(async () => {
      const prefixes = text.split(/[\s,]+/).filter((p) => p !== '');
      const r = await api<{ applied: string[]; restartNeeded: string[] }>('/protected-prefixes', { method: 'PUT', body: { prefixes } });
      current.reload();
      return `Saved ${prefixes.length} prefix${prefixes.length === 1 ? '' : 'es'}; applied now: ${r.applied.join(', ') || 'nothing'}.`;
    });
  return (
    <section class="card">
      <h2>Protected prefixes</h2>
      <p class="muted small">Never blackholed or filtered by any tier, whatever a runbook says. One prefix per line.</p>
      <ErrorBox error={current.error} title="Protected prefixes unavailable" />
      {current.data === undefined ? (
        <Loading what="protected prefixes" />
      ) : (
        <>
          <textarea class="editor short" name="protected-prefixes" value={text} readOnly={!admin} spellcheck={false} onInput={(e) => setText(e.currentTarget.value)} aria-label="protected prefixes" />
          <ErrorBox error={action.error} title="Not saved" />
          {action.done !== undefined ? <p class="ok-text">{action.done}</p> : null}
          {admin ? (
            <button type="button" class="primary" disabled={action.busy} onClick={() => void save()}>
              Save protected prefixes
            </button>
          ) : null}
        </>
      )}
    </section>
  );
}
