// One attack (GET /attacks/:id): its rate against the threshold that fired and the pre-attack baseline (the
// series the attack history keeps, GET /attacks/:id/series, so the chart survives a restart; the target's live
// traffic series around it for context while the API still has it), the vector breakdown, top sources and ports,
// the timeline of stages and actions from the audit trail, its mitigation and the pcap download.
import { useCallback, useEffect, useMemo } from 'preact/hooks';
import { SeverityBadge, StateBadge } from '../components/badges';
import { ErrorBox, Loading } from '../components/error-box';
import { ShareBars } from '../components/share-bars';
import { TimeChart, type ChartSeries } from '../components/time-chart';
import { bps, duration, percent, pps, time } from '../format';
import { useLiveEvent } from '../live';
import type { AttackItem, AuditRecord, MitigationSummary } from '../types';
import { useApi } from '../use-api';

type AttackDetail = AttackItem & { timeline: AuditRecord[]; mitigation: MitigationSummary | null };

/** A point of GET /attacks/:id/series (docs/api.md). */
interface SeriesPoint {
  t: number;
  pps: number;
  bps: number;
  flows?: number;
  threshold: number;
  thresholdSource: string;
  baseline: number | null;
  confidence: number;
  severity: string;
}

interface AttackSeries {
  metric: 'pps' | 'bps' | 'flows';
  points: SeriesPoint[];
}

/** Seconds of the target's live traffic shown before the attack's start and after its end. */
const CONTEXT_MS = 120_000;

function RateChart({ detail }: { detail: AttackDetail }) {
  const a = detail.attack;
  const metric = a.threshold.metric;
  const unit = metric === 'flows' ? 'flows/s' : metric;
  const recorded = useApi<AttackSeries>(`/attacks/${encodeURIComponent(a.id)}/series`);
  // The live series has no flows; for a flows threshold it is not drawn.
  const live = useApi<{ points: [number, number, number][] }>(metric === 'flows' ? undefined : `/traffic/series?target=${encodeURIComponent(a.target)}&seconds=3600`);
  const reloadRecorded = recorded.reload;
  const reloadLive = live.reload;
  // While the attack lasts both series grow: ask again every few seconds.
  useEffect(() => {
    if (!detail.active) return;
    const timer = setInterval(() => {
      reloadRecorded();
      if (metric !== 'flows') reloadLive();
    }, 3000);
    return () => clearInterval(timer);
  }, [detail.active, reloadRecorded, reloadLive, metric]);

  const points = recorded.data?.points ?? [];
  const context = useMemo(() => {
    const from = a.startedAt - CONTEXT_MS;
    const to = a.endedAt === undefined ? Number.POSITIVE_INFINITY : a.endedAt + CONTEXT_MS;
    return (live.data?.points ?? []).filter((p) => p[0] >= from && p[0] <= to);
  }, [live.data, a.startedAt, a.endedAt]);

  const chart = useMemo(() => {
    // The two series are read at different moments: one time axis with each series null where it has no point.
    const times = [...new Set([...points.map((p) => p.t), ...context.map((p) => p[0])])].sort((x, y) => x - y);
    const at = (list: Map<number, number>) => times.map((t) => list.get(t) ?? null);
    const rate = (p: SeriesPoint) => (metric === 'bps' ? p.bps : metric === 'flows' ? (p.flows ?? null) : p.pps);
    const attackRates = new Map<number, number>();
    for (const p of points) {
      const v = rate(p);
      if (v !== null) attackRates.set(p.t, v);
    }
    const liveRates = new Map(context.map((p) => [p[0], metric === 'bps' ? p[2] : p[1]] as [number, number]));
    const last = points.at(-1);
    const threshold = last?.threshold ?? a.threshold.value;
    const baseline = last !== undefined ? last.baseline : (a.baseline?.[metric] ?? null);
    const lines: ChartSeries[] = [{ label: `attack traffic (${unit}, recorded)`, values: at(attackRates), color: '#2b7bd6', spanGaps: true }];
    if (metric !== 'flows') lines.push({ label: `all traffic to ${a.target} (live)`, values: at(liveRates), color: '#8a8f98', spanGaps: true });
    lines.push({ label: `threshold (${a.threshold.key}, ${last?.thresholdSource ?? a.threshold.source})`, values: times.map(() => threshold), color: '#d63b2b', dash: [6, 4] });
    if (baseline !== null) lines.push({ label: 'baseline', values: times.map(() => baseline), color: '#2b9d52', dash: [2, 4] });
    return { times, lines };
  }, [points, context, metric, unit, a]);

  const enough = points.length >= 2 || context.length >= 2;
  return (
    <section class="card wide" data-testid="attack-rate-chart" data-recorded-points={points.length} data-live-points={context.length}>
      <h2>Rate, threshold and baseline</h2>
      <ErrorBox error={recorded.error} title="The attack's recorded series is unavailable" />
      <ErrorBox error={live.error} title="Live traffic history unavailable" />
      {recorded.data !== undefined && !enough ? (
        <p class="muted">
          {detail.active
            ? 'The attack history records this attack\'s rates from its start, about once a second; the chart fills in.'
            : 'No rate series was recorded for this attack (it was recorded by a release before the series existed).'}
        </p>
      ) : null}
      {enough || detail.active ? <TimeChart times={chart.times} series={chart.lines} unit={unit} /> : null}
      <p class="muted small">
        Threshold {metric === 'bps' ? bps(a.threshold.value) : metric === 'pps' ? pps(a.threshold.value) : `${a.threshold.value} flows/s`} on <code>{a.threshold.key}</code> ({a.threshold.source}, host group {a.threshold.hostGroup}); measured{' '}
        {metric === 'bps' ? bps(a.threshold.measured) : metric === 'pps' ? pps(a.threshold.measured) : `${a.threshold.measured} flows/s`} at the start.
        {points.length > 0 ? ` Recorded: ${points.length} points, ${duration(points.at(-1)!.t - points[0]!.t)}.` : ''}
        {metric !== 'flows' ? ` Live traffic (grey) is kept in memory for the latest attacks' targets; a restart loses it.` : ''}
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
