// Attacks, newest first (GET /attacks), filtered by target, vector or only the active ones.
import { useCallback, useState } from 'preact/hooks';
import { SeverityBadge } from '../components/badges';
import { ErrorBox, Loading } from '../components/error-box';
import { duration, pps, time } from '../format';
import { useLiveEvent } from '../live';
import type { AttackItem } from '../types';
import { useApi } from '../use-api';

export function AttacksPage() {
  const [target, setTarget] = useState('');
  const [vector, setVector] = useState('');
  const [activeOnly, setActiveOnly] = useState(false);
  const [query, setQuery] = useState('limit=100');
  const list = useApi<{ attacks: AttackItem[] }>(`/attacks?${query}`);
  useLiveEvent('attack', useCallback((e: unknown) => (e as { type: string }).type !== 'attack.updated' && list.reload(), [list.reload]));

  const search = (event: Event) => {
    event.preventDefault();
    const q = new URLSearchParams({ limit: '100' });
    if (target.trim() !== '') q.set('target', target.trim());
    if (vector.trim() !== '') q.set('vector', vector.trim());
    if (activeOnly) q.set('active', 'true');
    setQuery(q.toString());
  };

  return (
    <section>
      <h1>Attacks</h1>
      <form class="filters" onSubmit={search}>
        <input placeholder="target (address or prefix)" value={target} onInput={(e) => setTarget(e.currentTarget.value)} />
        <input placeholder="vector (syn_flood, …)" value={vector} onInput={(e) => setVector(e.currentTarget.value)} />
        <label class="inline">
          <input type="checkbox" checked={activeOnly} onChange={(e) => setActiveOnly(e.currentTarget.checked)} /> active only
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorBox error={list.error} title="Attacks unavailable" />
      {list.data === undefined ? (
        list.loading && <Loading what="attacks" />
      ) : list.data.attacks.length === 0 ? (
        <p class="muted">No attack matches.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>started</th>
                <th>target</th>
                <th>vector</th>
                <th>severity</th>
                <th class="num">peak</th>
                <th>duration</th>
                <th>state</th>
              </tr>
            </thead>
            <tbody>
              {list.data.attacks.map(({ attack: a, active, endReason }) => (
                <tr key={a.id}>
                  <td>
                    <a href={`/attacks/${encodeURIComponent(a.id)}`}>{time(a.startedAt)}</a>
                  </td>
                  <td class="mono">{a.target}</td>
                  <td>{a.vector}</td>
                  <td>
                    <SeverityBadge severity={a.severity} />
                  </td>
                  <td class="num">{pps(a.peak.pps)}</td>
                  <td>{duration((a.endedAt ?? Date.now()) - a.startedAt)}</td>
                  <td>{active ? <span class="badge bad">active</span> : <span class="muted">{endReason ?? 'ended'}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
