// The live dashboard: traffic towards the protected networks (uPlot, the last five minutes then every second
// from the live stream), the busiest destinations, active attacks, active mitigations per tier, BGP peers.
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { SeverityBadge, StateBadge } from '../components/badges';
import { ErrorBox, Loading } from '../components/error-box';
import { TimeChart } from '../components/time-chart';
import { ago, bps, pps } from '../format';
import { useLiveEvent } from '../live';
import type { AttackItem, AttackRecord, MitigationsResponse, PeersResponse, TrafficEvent } from '../types';
import { useApi } from '../use-api';

const WINDOW_POINTS = 300;
const TOP_CHARTED = 5;
const PALETTE = ['#d63b2b', '#2b7bd6', '#2b9d52', '#b76e00', '#7b4bd6'];

function TrafficPanel() {
  const series = useApi<{ points: [number, number, number][] }>('/traffic/series?seconds=300');
  const [points, setPoints] = useState<[number, number, number][]>([]);
  const [top, setTop] = useState<TrafficEvent['top']>([]);
  // The live events of the last five minutes: the top destinations' own series come from them.
  const [recent, setRecent] = useState<TrafficEvent[]>([]);
  const initialTop = useApi<{ t: number; top: TrafficEvent['top'] }>('/traffic/top?limit=10');
  useEffect(() => {
    if (series.data !== undefined) setPoints(series.data.points.slice(-WINDOW_POINTS));
  }, [series.data]);
  useEffect(() => {
    if (initialTop.data !== undefined) setTop((t) => (t.length === 0 ? initialTop.data!.top : t));
  }, [initialTop.data]);
  useLiveEvent(
    'traffic',
    useCallback((data: unknown) => {
      const e = data as TrafficEvent;
      setPoints((p) => (p.length > 0 && p[p.length - 1]![0] >= e.t ? p : [...p.slice(-(WINDOW_POINTS - 1)), [e.t, e.pps, e.bps]]));
      setTop(e.top);
      setRecent((r) => [...r.slice(-(WINDOW_POINTS - 1)), e]);
    }, []),
  );
  const times = useMemo(() => points.map((p) => p[0]), [points]);
  const chart = useMemo(() => [{ label: 'packets/s', values: points.map((p) => p[1]), color: '#2b7bd6' }], [points]);
  const last = points[points.length - 1];
  const topTimes = useMemo(() => recent.map((e) => e.t), [recent]);
  const topSeries = useMemo(() => {
    const targets = (recent[recent.length - 1]?.top ?? []).slice(0, TOP_CHARTED).map((r) => r.target);
    return targets.map((target, i) => ({ label: target, values: recent.map((e) => e.top.find((r) => r.target === target)?.pps ?? null), color: PALETTE[i % PALETTE.length]! }));
  }, [recent]);
  return (
    <>
      <section class="card wide">
        <h2>
          Traffic in <span class="muted small">{last !== undefined ? `${pps(last[1])} · ${bps(last[2])}` : ''}</span>
        </h2>
        <ErrorBox error={series.error} title="Traffic history unavailable" />
        <TimeChart times={times} series={chart} unit="pps" />
      </section>
      <section class="card">
        <h2>Top destinations</h2>
        {recent.length > 1 ? <TimeChart times={topTimes} series={topSeries} unit="pps" height={180} /> : null}
        <ErrorBox error={initialTop.error} title="Top destinations unavailable" />
        {top.length === 0 ? (
          <p class="muted">No traffic towards the protected networks yet.</p>
        ) : (
          <table data-testid="top-destinations">
            <thead>
              <tr>
                <th>destination</th>
                <th class="num">pps</th>
                <th class="num">bps</th>
              </tr>
            </thead>
            <tbody>
              {top.map((r) => (
                <tr key={r.target}>
                  <td class="mono">{r.target}</td>
                  <td class="num">{pps(r.pps)}</td>
                  <td class="num">{bps(r.bps)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

function ActiveAttacks() {
  const list = useApi<{ attacks: AttackItem[] }>('/attacks?active=true&limit=50');
  const [active, setActive] = useState<Map<string, AttackRecord>>(new Map());
  useEffect(() => {
    if (list.data !== undefined) setActive(new Map(list.data.attacks.filter((a) => a.active).map((a) => [a.attack.id, a.attack])));
  }, [list.data]);
  useLiveEvent(
    'attack',
    useCallback((data: unknown) => {
      const e = data as { type: string; attack: AttackRecord };
      setActive((m) => {
        const next = new Map(m);
        if (e.type === 'attack.ended') next.delete(e.attack.id);
        else next.set(e.attack.id, e.attack);
        return next;
      });
    }, []),
  );
  const attacks = [...active.values()].sort((a, b) => b.startedAt - a.startedAt);
  return (
    <section class="card wide" data-testid="active-attacks">
      <h2>Active attacks</h2>
      <ErrorBox error={list.error} title="Attacks unavailable" />
      {list.loading && list.data === undefined ? (
        <Loading what="attacks" />
      ) : attacks.length === 0 ? (
        <p class="muted">No attack in progress.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>target</th>
              <th>vector</th>
              <th>severity</th>
              <th class="num">rate</th>
              <th>since</th>
            </tr>
          </thead>
          <tbody>
            {attacks.map((a) => (
              <tr key={a.id} class="attack-row">
                <td class="mono">
                  <a href={`/attacks/${encodeURIComponent(a.id)}`}>{a.target}</a>
                </td>
                <td>{a.vector}</td>
                <td>
                  <SeverityBadge severity={a.severity} />
                </td>
                <td class="num">{pps(a.rates.pps)}</td>
                <td>{ago(a.startedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ActiveMitigations() {
  const m = useApi<MitigationsResponse>('/mitigations');
  useLiveEvent('mitigation', useCallback(() => m.reload(), [m.reload]));
  const byTier = new Map<string, string[]>();
  for (const mit of m.data?.mitigations ?? []) {
    for (const s of mit.stages) if (s.status === 'engaged') byTier.set(s.tier, [...(byTier.get(s.tier) ?? []), mit.target]);
  }
  for (const man of m.data?.manual ?? []) byTier.set(`manual ${man.kind}`, [...(byTier.get(`manual ${man.kind}`) ?? []), man.target]);
  return (
    <section class="card" data-testid="active-mitigations">
      <h2>
        Active mitigations <a class="small" href="/mitigations">manage</a>
      </h2>
      <ErrorBox error={m.error} title="Mitigations unavailable" />
      {m.data === undefined ? (
        <Loading what="mitigations" />
      ) : byTier.size === 0 ? (
        <p class="muted">Nothing engaged.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>tier</th>
              <th class="num">count</th>
              <th>targets</th>
            </tr>
          </thead>
          <tbody>
            {[...byTier].map(([tier, targets]) => (
              <tr key={tier}>
                <td>{tier}</td>
                <td class="num">{targets.length}</td>
                <td class="mono">{[...new Set(targets)].join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Peers() {
  const p = useApi<PeersResponse>('/peers');
  useLiveEvent('peers', useCallback(() => p.reload(), [p.reload]));
  return (
    <section class="card">
      <h2>
        BGP peers <span class="muted small">{p.data?.speaker}</span>
      </h2>
      <ErrorBox error={p.error} title="Peers unavailable" />
      {p.data === undefined ? (
        <Loading what="peers" />
      ) : p.data.peers.length === 0 ? (
        <p class="muted">No BGP peer configured.</p>
      ) : (
        <ul class="plain">
          {p.data.peers.map((peer) => (
            <li key={String(peer.config.name)}>
              <StateBadge state={peer.state} /> <strong>{String(peer.config.name)}</strong> <span class="mono muted">{String(peer.config.address)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function DashboardPage() {
  return (
    <div class="grid">
      <ActiveAttacks />
      <TrafficPanel />
      <ActiveMitigations />
      <Peers />
    </div>
  );
}
