// The audit trail (GET /audit) with its search: text, action (or a family ending in "."), actor, target, and
// a time range. Newest first on screen; the API keeps the newest `limit` rows.
import { useState } from 'preact/hooks';
import { ErrorBox, Loading } from '../components/error-box';
import { time } from '../format';
import type { AuditRecord } from '../types';
import { useApi } from '../use-api';

export function AuditPage() {
  const [q, setQ] = useState('');
  const [action, setAction] = useState('');
  const [actor, setActor] = useState('');
  const [target, setTarget] = useState('');
  const [query, setQuery] = useState('limit=500');
  const r = useApi<{ entries: AuditRecord[] }>(`/audit?${query}`);
  const search = (event: Event) => {
    event.preventDefault();
    const p = new URLSearchParams({ limit: '500' });
    for (const [k, v] of [['q', q], ['action', action], ['actor', actor], ['target', target]] as const) if (v.trim() !== '') p.set(k, v.trim());
    setQuery(p.toString());
  };
  const rows = [...(r.data?.entries ?? [])].reverse();
  return (
    <section>
      <h1>Audit log</h1>
      <form class="filters" onSubmit={search} role="search">
        <input name="q" placeholder="search text" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <input name="action" placeholder="action (stage. or manual.withdrawn)" value={action} onInput={(e) => setAction(e.currentTarget.value)} />
        <input name="actor" placeholder="actor (user:alice, engine, user:)" value={actor} onInput={(e) => setActor(e.currentTarget.value)} />
        <input name="target" placeholder="target (address or prefix)" value={target} onInput={(e) => setTarget(e.currentTarget.value)} />
        <button type="submit">Search</button>
        <button type="button" class="link" onClick={() => r.reload()}>
          Refresh
        </button>
      </form>
      <ErrorBox error={r.error} title="The audit trail cannot be read" />
      {r.data === undefined ? (
        <Loading what="the audit trail" />
      ) : rows.length === 0 ? (
        <p class="muted">No entry matches.</p>
      ) : (
        <div class="table-wrap">
          <table data-testid="audit-table">
            <thead>
              <tr>
                <th>when</th>
                <th>actor</th>
                <th>action</th>
                <th>target</th>
                <th>what</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e, i) => (
                <tr key={e.seq ?? i} class="audit-row">
                  <td class="nowrap">{time(e.at)}</td>
                  <td>{e.actor}</td>
                  <td class="mono">{e.action}</td>
                  <td class="mono">
                    {e.attackId !== undefined ? <a href={`/attacks/${encodeURIComponent(e.attackId)}`}>{e.target ?? e.attackId}</a> : (e.target ?? '')}
                  </td>
                  <td class="small">
                    {[e.runbook, e.stageName, e.tier, e.resource, e.reason].filter((x) => x !== undefined).join(' · ')}
                    {e.detail !== undefined ? (
                      <details>
                        <summary>detail</summary>
                        <pre>{JSON.stringify(e.detail, null, 2)}</pre>
                      </details>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
