// GET /traffic/summary, /traffic/top and /traffic/series: what the dashboard draws, read from the traffic history
// (api/traffic-history.ts, a summary of detection's counting once a second). A series for a host group sums its
// prefixes; an attack's target has one from the attack's start; for another address or prefix the history
// starts one at the first request. Thresholds shown with a series are the host group's static limits for the
// total of a destination (docs/detection.md).
import { Type, type Static } from '@sinclair/typebox';
import { KEY_TOTAL } from '../../counting/vector.js';
import { Metric, SUBJECT_KINDS } from '../../detection/host-groups.js';
import { BreakwaterError } from '../../errors.js';
import { targetInside } from '../../mitigation/runbook.js';
import type { ApiDeps, RouteModule } from '../api-types.js';
import { TrafficHistory } from '../traffic-history.js';

const Rate = Type.Object({ target: Type.String(), pps: Type.Number(), bps: Type.Number() }, { additionalProperties: false });

const SummaryResponse = Type.Object(
  {
    t: Type.Number({ description: 'ms since the epoch of the latest sample' }),
    pps: Type.Number({ description: 'packets per second towards the protected networks (sampling-corrected estimate)' }),
    bps: Type.Number({ description: 'bits per second towards the protected networks' }),
    activeAttacks: Type.Integer(),
    mitigations: Type.Integer({ description: 'mitigations the runbook engine is running' }),
    prefixes: Type.Array(Rate, { description: 'each configured prefix (networks and host groups)' }),
    intake: Type.Object({}, { additionalProperties: true, description: 'the intake section of /health' }),
  },
  { additionalProperties: false },
);

const TopQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
    by: Type.Union([Type.Literal('pps'), Type.Literal('bps')], { default: 'pps' }),
  },
  { additionalProperties: false },
);

const SeriesQuery = Type.Object(
  {
    target: Type.Optional(Type.String({ minLength: 2, maxLength: 64, description: 'an address or a prefix' })),
    hostGroup: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    seconds: Type.Integer({ minimum: 1, maximum: 86400, default: 300 }),
  },
  { additionalProperties: false },
);

const SeriesResponse = Type.Object(
  {
    target: Type.String({ description: 'the prefix, host group or "all" the points are for' }),
    points: Type.Array(Type.Array(Type.Number(), { minItems: 3, maxItems: 3 }), { description: '[t (ms), pps, bps] per second, oldest first' }),
    threshold: Type.Optional(
      Type.Object(
        { pps: Type.Optional(Type.Number()), bps: Type.Optional(Type.Number()), hostGroup: Type.String(), per: Type.Union([Type.Literal('destination'), Type.Literal('prefix')]) },
        { additionalProperties: false, description: 'the static total threshold that applies: per destination for an address, per configured prefix for a host group' },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The traffic history of an API instance: one per deps (the server makes one deps per app). */
const histories = new WeakMap<ApiDeps, TrafficHistory>();

export function trafficHistoryOf(deps: ApiDeps): TrafficHistory {
  let history = histories.get(deps);
  if (history === undefined) {
    history = new TrafficHistory({ source: deps.appliance.detection.traffic, clock: deps.clock });
    histories.set(deps, history);
  }
  return history;
}

export const trafficRoutes: RouteModule = (app, deps) => {
  const history = trafficHistoryOf(deps);
  // Every attack's target is kept from the attack's start (and the ones already active now), so its chart has
  // the whole attack even when nobody looked while it lasted.
  for (const attack of deps.appliance.detection.activeAttacks()) history.keepForAttack(attack.target);
  const unsubscribe = deps.appliance.bus.on('attack.started', (event) => history.keepForAttack(event.attack.target));
  app.addHook('onClose', async () => unsubscribe());
  app.addHook('onReady', async () => {
    history.start((sample) => deps.events.publish('traffic', { t: sample.t, pps: sample.pps, bps: sample.bps, top: sample.top.slice(0, 10) }));
  });
  app.addHook('onClose', async () => history.stop());

  app.get('/traffic/summary', { config: { role: 'viewer' }, schema: { tags: ['traffic'], summary: 'Traffic towards the protected networks now', response: { 200: SummaryResponse } } }, async () => {
    const now = history.current();
    return {
      t: now.t,
      pps: now.pps,
      bps: now.bps,
      activeAttacks: deps.appliance.detection.activeAttacks().length,
      mitigations: deps.appliance.mitigation.list().length,
      prefixes: history.prefixes(),
      intake: deps.appliance.intake.report(),
    };
  });

  app.get<{ Querystring: Static<typeof TopQuery> }>(
    '/traffic/top',
    { config: { role: 'viewer' }, schema: { tags: ['traffic'], summary: 'The busiest destinations now', querystring: TopQuery, response: { 200: Type.Object({ t: Type.Number(), top: Type.Array(Rate) }, { additionalProperties: false }) } } },
    async (request) => ({ t: history.current().t, top: history.top(request.query.limit, request.query.by) }),
  );

  app.get<{ Querystring: Static<typeof SeriesQuery> }>(
    '/traffic/series',
    { config: { role: 'viewer' }, schema: { tags: ['traffic'], summary: 'Per-second pps and bps of an address, a prefix, a host group or everything', querystring: SeriesQuery, response: { 200: SeriesResponse } } },
    async (request) => {
      const { target, hostGroup, seconds } = request.query;
      const groups = deps.appliance.detection.groups;
      if (target !== undefined && hostGroup !== undefined) throw new BreakwaterError('BW_ERR_API_VALIDATION', ['give target or hostGroup, not both'], { details: { problems: [{ path: 'querystring', message: 'give target or hostGroup, not both' }] } });
      if (hostGroup !== undefined) {
        const group = groups.group(hostGroup);
        if (group === undefined) throw new BreakwaterError('BW_ERR_API_NOT_FOUND', [`host group ${hostGroup}`]);
        const indexes = groups.networks.flatMap((n, i) => (n.group === group.index ? [i] : []));
        const threshold = thresholdOf(deps, group.index, 'prefix');
        return { target: hostGroup, points: history.networkSeries(indexes, seconds), ...(threshold !== undefined ? { threshold } : {}) };
      }
      if (target === undefined) return { target: 'all', points: history.totalSeries(seconds) };
      const watched = history.watch(target);
      if (watched === undefined) throw new BreakwaterError('BW_ERR_API_VALIDATION', [`target ${JSON.stringify(target)} is not an address or a prefix`], { details: { problems: [{ path: 'querystring/target', message: 'not an address or a prefix' }] } });
      // A destination's threshold applies to an address; a prefix of several destinations has none of its own.
      const single = watched.endsWith('/32') || watched.endsWith('/128');
      const groupIndex = single ? groupOfTarget(deps, watched) : undefined;
      const threshold = groupIndex !== undefined ? thresholdOf(deps, groupIndex, 'destination') : undefined;
      return { target: watched, points: history.series(watched, seconds), ...(threshold !== undefined ? { threshold } : {}) };
    },
  );
};

/** The host group of the longest configured prefix that holds the target, as detection resolves it. */
function groupOfTarget(deps: ApiDeps, prefixText: string): number | undefined {
  let best: { group: number; length: number } | undefined;
  for (const n of deps.appliance.detection.groups.networks) {
    if (targetInside(prefixText, n.text) && (best === undefined || n.length > best.length)) best = { group: n.group, length: n.length };
  }
  return best?.group;
}

/** The group's static total threshold for one destination (SubjectKind host) or one configured prefix (network). */
function thresholdOf(deps: ApiDeps, groupIndex: number, per: 'destination' | 'prefix'): { pps?: number; bps?: number; hostGroup: string; per: 'destination' | 'prefix' } | undefined {
  const group = deps.appliance.detection.groups.groups[groupIndex];
  if (group === undefined) return undefined;
  const values = group.staticValue[per === 'destination' ? SUBJECT_KINDS.indexOf('host') : SUBJECT_KINDS.indexOf('network')]!;
  const pps = values[KEY_TOTAL * 3 + Metric.pps]!;
  const bps = values[KEY_TOTAL * 3 + Metric.bps]!;
  if (!Number.isFinite(pps) && !Number.isFinite(bps)) return undefined;
  return { hostGroup: group.name, per, ...(Number.isFinite(pps) ? { pps } : {}), ...(Number.isFinite(bps) ? { bps } : {}) };
}
