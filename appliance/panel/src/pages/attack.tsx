// One attack (GET /attacks/:id): its rate against the threshold that fired and the pre-attack baseline, the
// vector breakdown, top sources and ports, the timeline of stages and actions from the audit trail, its
// mitigation and the pcap download.
import { useCallback, useEffect, useMemo } from 'preact/hooks';
import { SeverityBadge, StateBadge } from '../components/badges';
import { ErrorBox, Loading } from '../components/error-box';
import { ShareBars } from '../components/share-bars';
import { TimeChart } from '../components/time-chart';
import { bps, duration, percent, pps, time } from '../format';
import { useLiveEvent } from '../live';
import type { AttackItem, AuditRecord, MitigationSummary } from '../types';
import { useApi } from '../use-api';

type AttackDetail = AttackItem & { timeline: AuditRecord[]; mitigation: MitigationSummary | null };

function RateChart({ detail }: { detail: AttackDetail }) {
  const a = detail.attack;
  const unit = a.threshold.metric === 'bps' ? 'bps' : 'pps';
  const index = unit === 'bps' ? 2 : 1;
  const series = useApi<{ points: [number, number, number][] }>(`/traffic/series?target=${encodeURIComponent(a.target)}&seconds=3600`);
  // An attack target's per-second history is kept from the attack's start (docs/api.md): while the attack
  // lasts, ask again every few seconds so the chart grows.
  useEffect(() => {
    if (!detail.active) return;
    const timer = setInterval(series.reload, 3000);
    return () => clearInterval(timer);
  }, [detail.active, series.reload]);
  const points = useMemo(() => (series.data?.points ?? []).filter((p) => p[0] >= a.startedAt - 120_000), [series.data, a.startedAt]);
  const times = useMemo(() => points.map((p) => p[0]), [points]);
  const lines = useMemo(() => {
    const out = [
      { label: `${unit} to ${a.target}`, values: points.map((p) => p[index]!), color: '#2b7bd6' },
      { label: `threshold (${a.threshold.key}, ${a.threshold.source})`, values: points.map(() => a.threshold.value), color: '#d63b2b', dash: [6, 4] },
    ];
    const base = a.baseline?.[unit];
    if (base !== undefined) out.push({ label: 'baseline', values: points.map(() => base), color: '#2b9d52', dash: [2, 4] });
    return out;
  }, [points, a, unit, index]);
  return (
    <section class="card wide">
      <h2>Rate, threshold and baseline</h2>
      <ErrorBox error={series.error} title="Rate history unavailable" />
      {series.data !== undefined && points.length < 2 ? (
        <p class="muted">
          {detail.active
            ? 'The per-second history of this target is kept from the attack\'s start; the chart fills in.'
            : 'No per-second history of this target from the attack: it is kept in memory from the attack\'s start, for an hour, for the 32 latest attacks, and a restart loses it.'}
        </p>
      ) : null}
      {points.length >= 2 || detail.active ? <TimeChart times={times} series={lines} unit={unit} /> : null}
      <p class="muted small">
        Threshold {a.threshold.metric === 'bps' ? bps(a.threshold.value) : pps(a.threshold.value)} on <code>{a.threshold.key}</code> ({a.threshold.source}, host group {a.threshold.hostGroup}); measured{' '}
        {a.threshold.metric === 'bps' ? bps(a.threshold.measured) : pps(a.threshold.measured)} at the start.
      </p>
    </section>
  );
}

export function AttackPage({ id }: { id: string }) {
  const r = useApi<AttackDetail>(`/attacks/${encodeURIComponent(id)}`);
  useLiveEvent('attack', useCallback((e: unknown) => (e as { attack: { id: string } }).attack.id === id && r.reload(), [id, r.reload]));
  useLiveEvent('mitigation', useCallback(() => r.reload(), [r.reload]));
  if (r.error !== undefined)
    return (
      <section>
        <h1>Attack {id}</h1>
        <ErrorBox error={r.error} title="This attack cannot be shown" />
        <a href="/attacks">All attacks</a>
      </section>
    );
  if (r.data === undefined) return <Loading what="the attack" />;
  const d = r.data;
  const a = d.attack;
  return (
    <div>
      <h1>
        {a.vector} on <span class="mono">{a.target}</span> <SeverityBadge severity={a.severity} /> {d.active ? <span class="badge bad">active</span> : <span class="badge neutral">ended ({d.endReason})</span>}
      </h1>
      <p class="muted">
        Started {time(a.startedAt)}
        {a.endedAt !== undefined ? `, ended ${time(a.endedAt)} (${duration(a.endedAt - a.startedAt)})` : ''} · host group {a.hostGroup} · confidence {percent(a.confidence)} · peak {pps(a.peak.pps)} / {bps(a.peak.bps)} · id <code>{a.id}</code>
      </p>
      <p>
        {d.hasPcap ? (
          <a class="button" href={`/api/v1/attacks/${encodeURIComponent(a.id)}/pcap`} download={`${a.id}.pcap`}>
            Download pcap
          </a>
        ) : (
          <span class="muted">No packet capture for this attack.</span>
        )}
      </p>
      <div class="grid">
        <RateChart detail={d} />
        <section class="card">
          <h2>Vectors</h2>
          <ShareBars rows={a.profile.vectors} empty="No vector breakdown." />
        </section>
        <section class="card">
          <h2>Top sources</h2>
          <ShareBars rows={a.profile.topSources} empty="No sources recorded." />
        </section>
        <section class="card">
          <h2>Source ports</h2>
          <ShareBars rows={a.profile.topSourcePorts} empty="No source ports recorded." />
        </section>
        <section class="card">
          <h2>Destination ports</h2>
          <ShareBars rows={a.profile.topDestinationPorts} empty="No destination ports recorded." />
        </section>
        {a.profile.topDestinations.length > 0 ? (
          <section class="card">
            <h2>Destinations hit</h2>
            <ShareBars rows={a.profile.topDestinations} empty="" />
          </section>
        ) : null}
        <section class="card">
          <h2>Mitigation</h2>
          {d.mitigation === null ? (
            <p class="muted">None.</p>
          ) : (
            <>
              <p>
                Runbook <strong>{d.mitigation.runbook}</strong> ({d.mitigation.mode}), phase <StateBadge state={d.mitigation.phase} /> <a href="/mitigations">manage</a>
              </p>
              <ul class="plain">
                {d.mitigation.stages.map((s) => (
                  <li key={s.index}>
                    <StateBadge state={s.status} /> {s.name} <span class="muted">({s.tier})</span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
        <section class="card wide">
          <h2>Timeline</h2>
          {d.timeline.length === 0 ? (
            <p class="muted">Nothing recorded yet.</p>
          ) : (
            <ol class="timeline">
              {d.timeline.map((e, i) => (
                <li key={e.seq ?? i}>
                  <span class="muted">{time(e.at)}</span> <strong>{e.action}</strong>
                  {e.stageName !== undefined ? ` ${e.stageName}` : ''}
                  {e.tier !== undefined ? <span class="muted"> ({e.tier})</span> : null} <span class="muted">by {e.actor}</span>
                  {e.reason !== undefined ? <div class="small">{e.reason}</div> : null}
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </div>
  );
}
