// The view a message template is rendered against: the event's facts turned into the words and numbers an
// operator reads ("3.28 Gbit/s", "NTP amplification", "stage 1 \"rtbh\" of runbook default"), plus three
// ready sentences (headline, seen, done) so that a short template still says what was seen, what was done
// and where to look. Every value is a string, a list of objects of strings, or absent: templates only ever
// print text. docs/notifications.md lists the fields.
import type { RunbookStage } from '../tier.js';
import type { ActionTaken, NotificationEvent, NotificationEventType } from '../notification.js';
import { formatBps, formatDuration, formatPps, formatRates, formatShare, vectorLabel } from './format.js';

export interface StageView {
  runbook: string;
  name: string;
  /** 1-based, as people count. */
  number: string;
  /** 'stage 2 "rtbh" of runbook default'. */
  label: string;
}

export interface ActionView {
  time: string;
  tier: string;
  stage: string;
  outcome: string;
  summary: string;
}

export interface ShareView {
  key: string;
  share: string;
  pps: string;
}

export interface NotificationView {
  event: { id: string; type: NotificationEventType; label: string; at: string };
  attack: {
    id: string;
    target: string;
    targetKind: string;
    ipVersion: string;
    hostGroup: string;
    vector: string;
    vectorLabel: string;
    severity: string;
    severityLabel: string;
    confidence: string;
    startedAt: string;
    endedAt?: string;
    bps: string;
    pps: string;
    rates: string;
    peak: string;
    threshold: string;
    topSources: ShareView[];
    topDestinations: ShareView[];
    coverage: string;
    collateral: string;
  };
  /** One line: the event in words. */
  headline: string;
  /** What was seen: vector, target, rates, threshold, confidence. */
  seen: string;
  /** What was done: the actions so far, or that nothing was done yet. */
  done: string;
  actions: ActionView[];
  /** The attack in the web panel, or "" without a panel URL. */
  link: string;
  stage?: StageView;
  from?: StageView;
  tier?: string;
  summary?: string;
  reason?: string;
  outcome?: string;
  guardrail?: string;
  error?: { code: string; message: string };
  approveUrl?: string;
  expiresAt?: string;
  duration?: string;
  vectors?: string;
  channel?: string;
}

const LABELS: Record<NotificationEventType, string> = {
  'attack.detected': 'Attack detected',
  'tier.engaged': 'Mitigation engaged',
  'attack.escalated': 'Mitigation escalated',
  'attack.deescalated': 'Mitigation stepped down',
  'mitigation.failed': 'Mitigation failed',
  'approval.needed': 'Approval needed',
  'attack.ended': 'Attack ended',
  'notify.test': 'Test message',
};

export function notificationView(event: NotificationEvent): NotificationView {
  const a = event.attack;
  const attack: NotificationView['attack'] = {
    id: a.id,
    target: a.target,
    targetKind: a.targetKind,
    ipVersion: `IPv${a.ipVersion}`,
    hostGroup: a.hostGroup,
    vector: a.vector,
    vectorLabel: vectorLabel(a.vector),
    severity: a.severity,
    severityLabel: a.severity.toUpperCase(),
    confidence: formatShare(a.confidence),
    startedAt: iso(a.startedAt),
    ...(a.endedAt !== undefined ? { endedAt: iso(a.endedAt) } : {}),
    bps: formatBps(a.rates.bps),
    pps: formatPps(a.rates.pps),
    rates: formatRates(a.rates),
    peak: formatRates(a.peak),
    threshold: thresholdText(a.threshold),
    topSources: a.profile.topSources.map((s) => shareView(String(s.key), s.share, s.pps)),
    topDestinations: a.profile.topDestinations.map((s) => shareView(String(s.key), s.share, s.pps)),
    coverage: formatShare(a.signature.coverage),
    collateral: formatShare(a.signature.collateral),
  };
  const actions = event.actions.map(actionView);
  const view: NotificationView = {
    event: { id: event.id, type: event.type, label: LABELS[event.type], at: iso(event.at) },
    attack,
    headline: '',
    seen: `${attack.vectorLabel} toward ${a.target} (host group ${a.hostGroup}): ${attack.rates}; ${attack.threshold}; confidence ${attack.confidence}`,
    done: event.actions.length === 0 ? 'no mitigation yet' : event.actions.map((x) => `${x.summary} (${x.tier}, ${x.outcome})`).join('; '),
    actions,
    link: event.attackUrl ?? '',
  };
  switch (event.type) {
    case 'attack.detected':
      view.headline = `${attack.vectorLabel} attack on ${a.target}`;
      break;
    case 'tier.engaged':
      Object.assign(view, { stage: stageView(event.stage), tier: event.tier, summary: event.summary });
      view.headline = `Mitigating ${a.target}: ${event.summary}`;
      break;
    case 'attack.escalated':
      Object.assign(view, { stage: stageView(event.stage), reason: event.reason, ...(event.from ? { from: stageView(event.from) } : {}) });
      view.headline = `Escalated ${a.target} to ${stageView(event.stage).label}`;
      break;
    case 'attack.deescalated':
      Object.assign(view, { stage: stageView(event.stage), from: stageView(event.from), reason: event.reason });
      view.headline = `Stepped down ${a.target} to ${stageView(event.stage).label}`;
      break;
    case 'mitigation.failed':
      Object.assign(view, {
        stage: stageView(event.stage),
        tier: event.tier,
        outcome: event.outcome,
        error: { ...event.error },
        ...(event.guardrail !== undefined ? { guardrail: event.guardrail } : {}),
      });
      view.headline =
        event.outcome === 'refused'
          ? `Guardrail ${event.guardrail ?? ''} refused ${event.tier} for ${a.target}`.replace('  ', ' ')
          : `Mitigation by ${event.tier} failed for ${a.target}`;
      break;
    case 'approval.needed':
      Object.assign(view, {
        stage: stageView(event.stage),
        tier: event.tier,
        reason: event.reason,
        ...(event.approveUrl !== undefined ? { approveUrl: event.approveUrl } : {}),
        ...(event.expiresAt !== undefined ? { expiresAt: iso(event.expiresAt) } : {}),
      });
      view.headline = `Approval needed: ${event.tier} for ${a.target}`;
      break;
    case 'attack.ended':
      Object.assign(view, {
        reason: event.reason,
        duration: formatDuration(event.summary.durationMs),
        vectors: event.summary.vectors.map((v) => `${v.key} ${formatShare(v.share)}`).join(', '),
      });
      attack.peak = formatRates(event.summary.peak);
      view.headline = `Attack on ${a.target} ended after ${view.duration}`;
      break;
    case 'notify.test':
      view.channel = event.channel;
      view.headline = `Breakwater test message for channel ${event.channel}`;
      break;
  }
  return view;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function shareView(key: string, share: number, pps: number): ShareView {
  return { key, share: formatShare(share), pps: formatPps(pps) };
}

function stageView(stage: RunbookStage): StageView {
  const number = String(stage.index + 1);
  return { runbook: stage.runbook, name: stage.name, number, label: `stage ${number} "${stage.name}" of runbook ${stage.runbook}` };
}

function actionView(a: ActionTaken): ActionView {
  return { time: iso(a.at), tier: a.tier, stage: stageView(a.stage).label, outcome: a.outcome, summary: a.summary };
}

function thresholdText(t: NotificationEvent['attack']['threshold']): string {
  const unit = t.metric === 'bps' ? formatBps : t.metric === 'pps' ? formatPps : (n: number) => `${Number(n.toPrecision(3))} flows/s`;
  const source = t.source === 'static' ? `host group ${t.hostGroup}` : t.source === 'baseline' ? 'baseline' : 'baseline floor';
  return `${t.key} ${t.metric} above ${unit(t.value)} (${source})`;
}
