// Mitigations: what the runbook engine runs and what was announced by hand, with the operator's actions —
// withdraw, extend (manual ones), approve a stage waiting for a person, announce an RTBH route by hand, and the
// stop-all switch. Viewers see the same lists without the buttons.
import { useCallback, useState } from 'preact/hooks';
import { api, idSegment } from '../api';
import { StateBadge } from '../components/badges';
import { ErrorBox, Loading } from '../components/error-box';
import { ago, time } from '../format';
import { useLiveEvent } from '../live';
import { useCan } from '../session';
import type { MitigationsResponse } from '../types';
import { useAction } from '../use-action';
import { useApi } from '../use-api';

function StopAllSwitch({ onChange }: { onChange: () => void }) {
  const can = useCan('operator');
  const sw = useApi<{ stopped: boolean; stopAll: unknown; mode: string }>('/mitigations/switch');
  const action = useAction();
  const flip = (to: 'stop-all' | 'resume') =>
    action.run(async () => {
      if (to === 'stop-all' && !window.confirm('Withdraw every mitigation now and refuse new ones until resumed?')) return;
      await api(`/mitigations/${to}`, { method: 'POST', body: {} });
      sw.reload();
      onChange();
      return to === 'stop-all' ? 'Every mitigation withdrawn; new ones are refused until you resume.' : 'Mitigations allowed again.';
    });
  return (
    <section class={`card switch ${sw.data?.stopped ? 'stopped' : ''}`}>
      <h2>Stop-all switch</h2>
      <ErrorBox error={sw.error ?? action.error} />
      {sw.data === undefined ? (
        <Loading what="the switch" />
      ) : (
        <p>
          Mode <strong>{sw.data.mode}</strong>. {sw.data.stopped ? <strong class="bad-text">STOPPED: no mitigation is announced.</strong> : 'Mitigations run.'}{' '}
          {can ? (
            sw.data.stopped ? (
              <button type="button" disabled={action.busy} onClick={() => void flip('resume')}>
                Resume
              </button>
            ) : (
              <button type="button" class="danger" disabled={action.busy} onClick={() => void flip('stop-all')}>
                Stop all
              </button>
            )
          ) : null}
        </p>
      )}
      {action.done !== undefined ? <p class="ok-text">{action.done}</p> : null}
    </section>
  );
}

function ManualForm({ onDone }: { onDone: () => void }) {
  const [prefix, setPrefix] = useState('');
  const [ttl, setTtl] = useState('600');
  const [reason, setReason] = useState('');
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      await api('/mitigations', { method: 'POST', body: { kind: 'rtbh', prefix: prefix.trim(), ttlSeconds: Number(ttl), ...(reason.trim() !== '' ? { reason: reason.trim() } : {}) } });
      onDone();
      setPrefix('');
      setReason('');
      return `RTBH for ${prefix} announced.`;
    });
  };
  return (
    <form class="card" onSubmit={submit}>
      <h2>Announce RTBH by hand</h2>
      <label>
        Host address
        <input value={prefix} onInput={(e) => setPrefix(e.currentTarget.value)} placeholder="203.0.113.7" required />
      </label>
      <label>
        Lifetime (seconds)
        <input type="number" min={60} value={ttl} onInput={(e) => setTtl(e.currentTarget.value)} required />
      </label>
      <label>
        Reason
        <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <ErrorBox error={action.error} title="Not announced" />
      {action.done !== undefined ? <p class="ok-text">{action.done}</p> : null}
      <button type="submit" disabled={action.busy}>
        Announce
      </button>
    </form>
  );
}

export function MitigationsPage() {
  const can = useCan('operator');
  const m = useApi<MitigationsResponse>('/mitigations');
  useLiveEvent('mitigation', useCallback(() => m.reload(), [m.reload]));
  const action = useAction();
  const [extendBy, setExtendBy] = useState('600');
  const act = (path: string, body: unknown, message: string) =>
    action.run(async () => {
      await api(path, { method: 'POST', body });
      m.reload();
      return message;
    });

  const running = (m.data?.mitigations ?? []).filter((x) => x.phase !== 'ended' && x.phase !== 'stopped');
  const finished = (m.data?.mitigations ?? []).filter((x) => x.phase === 'ended' || x.phase === 'stopped');
  return (
    <div>
      <h1>Mitigations</h1>
      <StopAllSwitch onChange={m.reload} />
      <ErrorBox error={m.error} title="Mitigations unavailable" />
      <ErrorBox error={action.error} title="The action failed" />
      {action.done !== undefined ? (
        <p class="ok-text" role="status">
          {action.done}
        </p>
      ) : null}
      {m.data === undefined ? (
        <Loading what="mitigations" />
      ) : (
        <>
          <section class="card wide">
            <h2>Runbook mitigations</h2>
            {running.length === 0 ? <p class="muted">None running.</p> : null}
            {running.map((x) => (
              <div class="mitigation" key={x.id} data-testid="mitigation">
                <p>
                  <strong class="mono">{x.target}</strong> {x.vector} · runbook {x.runbook} ({x.mode}) · <StateBadge state={x.phase} /> · since {ago(x.startedAt)} ·{' '}
                  {x.attackIds.map((id) => (
                    <a key={id} href={`/attacks/${encodeURIComponent(id)}`}>
                      attack
                    </a>
                  ))}
                </p>
                <ul class="plain stages">
                  {x.stages.map((s) => (
                    <li key={s.index}>
                      <StateBadge state={s.status} /> {s.name} <span class="muted">({s.tier})</span> {s.summary !== undefined ? <span class="small">{s.summary}</span> : null}
                      {s.error !== undefined ? <span class="bad-text small"> {s.error}</span> : null}
                      {s.status === 'awaiting-approval' && can ? (
                        <button type="button" disabled={action.busy} onClick={() => void act(`/mitigations/${idSegment(x.id)}/approve`, {}, `Stage ${s.name} approved.`)}>
                          Approve
                        </button>
                      ) : null}
                    </li>
                  ))}
                </ul>
                {can ? (
                  <button type="button" class="danger" disabled={action.busy} onClick={() => void act(`/mitigations/${idSegment(x.id)}/withdraw`, {}, `Mitigation of ${x.target} withdrawn.`)}>
                    Withdraw
                  </button>
                ) : null}
              </div>
            ))}
          </section>
          <section class="card wide">
            <h2>Manual mitigations</h2>
            {m.data.manual.length === 0 ? (
              <p class="muted">None.</p>
            ) : (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>kind</th>
                      <th>target</th>
                      <th>by</th>
                      <th>expires</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {m.data.manual.map((x) => (
                      <tr key={x.id}>
                        <td>{x.kind}</td>
                        <td class="mono">{x.target}</td>
                        <td>{x.by}</td>
                        <td>{time(x.expiresAt)}</td>
                        <td class="actions">
                          {can ? (
                            <>
                              <button type="button" disabled={action.busy} onClick={() => void act(`/mitigations/${idSegment(x.id)}/extend`, { seconds: Number(extendBy) }, `${x.target}: extended by ${extendBy} s.`)}>
                                Extend
                              </button>
                              <button type="button" class="danger" disabled={action.busy} onClick={() => void act(`/mitigations/${idSegment(x.id)}/withdraw`, {}, `${x.target} withdrawn.`)}>
                                Withdraw
                              </button>
                            </>
                          ) : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {can ? (
                  <label class="inline">
                    Extend by (seconds) <input type="number" min={60} value={extendBy} onInput={(e) => setExtendBy(e.currentTarget.value)} />
                  </label>
                ) : null}
              </div>
            )}
          </section>
          {can ? <ManualForm onDone={m.reload} /> : null}
          {finished.length > 0 ? (
            <section class="card wide">
              <h2>Recently finished</h2>
              <ul class="plain">
                {finished.map((x) => (
                  <li key={x.id}>
                    <StateBadge state={x.phase} /> <span class="mono">{x.target}</span> {x.vector} · runbook {x.runbook}
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
        </>
      )}
    </div>
  );
}
