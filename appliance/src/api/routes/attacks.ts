// GET /attacks, /attacks/:id, /attacks/:id/series and /attacks/:id/pcap: the attack history (with detection's
// active attacks merged in), one attack with its audit timeline and its mitigation's state, its rate series from
// the history (history/attack-series-store.ts), and the attack's capture file as a download. Read-only; the capture path comes from capture/attack-pcap-path.ts, which refuses ids that could
// leave the captures folder.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Type, type Static } from '@sinclair/typebox';
import { attackPcapPath } from '../../capture/attack-pcap-path.js';
import { BreakwaterError } from '../../errors.js';
import type { RouteModule } from '../api-types.js';
import { AttackSource } from './attack-source.js';

const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });

export const AttackItemSchema = Type.Object(
  {
    attack: Open('the AttackRecord as detection published it (docs/detection.md)'),
    active: Type.Boolean(),
    endReason: Type.Union([Type.String(), Type.Null()]),
    hasPcap: Type.Boolean(),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    active: Type.Optional(Type.Boolean()),
    since: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the epoch: attacks not ended before it' })),
    until: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the epoch: attacks started at or before it' })),
    target: Type.Optional(Type.String({ minLength: 2, maxLength: 64, description: 'an address (attacks on it or covering it) or a prefix (attacks inside it)' })),
    vector: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }, { additionalProperties: false });

export const SeriesPointSchema = Type.Object(
  {
    t: Type.Number({ description: 'ms since the epoch: the record\'s updatedAt (the detection clock)' }),
    pps: Type.Number({ description: 'the attack traffic\'s estimated packets per second' }),
    bps: Type.Number(),
    flows: Type.Optional(Type.Number({ description: 'estimated flows per second, where measured' })),
    threshold: Type.Number({ description: 'the threshold crossed, in the series\' metric' }),
    thresholdSource: Type.Union([Type.Literal('static'), Type.Literal('baseline'), Type.Literal('floor')]),
    baseline: Type.Union([Type.Number(), Type.Null()], { description: 'the target\'s baseline in the series\' metric, or null' }),
    confidence: Type.Number({ minimum: 0, maximum: 1 }),
    severity: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high'), Type.Literal('critical')]),
  },
  { additionalProperties: false },
);

const SeriesResponse = Type.Object(
  {
    attackId: Type.String(),
    metric: Type.Union([Type.Literal('pps'), Type.Literal('bps'), Type.Literal('flows')], { description: 'the threshold\'s metric: the unit of threshold and baseline' }),
    startedAt: Type.Number(),
    endedAt: Type.Union([Type.Number(), Type.Null()]),
    active: Type.Boolean(),
    points: Type.Array(SeriesPointSchema, { description: 'oldest first; at most history.seriesMaxPoints, evenly thinned past it' }),
  },
  { additionalProperties: false },
);

export const attackRoutes: RouteModule = (app, deps) => {
  const source = new AttackSource(deps);
  app.addHook('onClose', async () => source.close());
  const hasPcap = async (id: string) => {
    try {
      return (await stat(attackPcapPath(deps.dataDir, id))).isFile();
    } catch {
      return false;
    }
  };

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/attacks',
    { config: { role: 'viewer' }, schema: { tags: ['attacks'], summary: 'Attacks, newest first', querystring: ListQuery, response: { 200: Type.Object({ attacks: Type.Array(AttackItemSchema) }, { additionalProperties: false }) } } },
    async (request) => {
      const q = request.query;
      const stored = source.list({ ...q, ...(q.active === false ? { active: undefined } : {}) }).filter((s) => q.active !== false || s.endReason !== null);
      return { attacks: await Promise.all(stored.map(async (s) => ({ attack: s.attack, active: s.endReason === null, endReason: s.endReason, hasPcap: await hasPcap(s.attack.id) }))) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/attacks/:id',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['attacks'],
        summary: 'One attack, its audit timeline and its mitigation',
        params: IdParams,
        response: {
          200: Type.Object(
            {
              ...AttackItemSchema.properties,
              timeline: Type.Array(Open('an audit entry about this attack')),
              mitigation: Type.Union([Open('the mitigation summary (GET /mitigations)'), Type.Null()]),
            },
            { additionalProperties: false },
          ),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const stored = source.get(id);
      if (stored === undefined) throw new BreakwaterError('BW_ERR_ATTACK_NOT_FOUND', [id, 'not recorded, or removed by retention']);
      const mitigation = deps.appliance.mitigation.list().find((m) => m.id === id || m.attackIds.includes(id)) ?? null;
      return {
        attack: stored.attack,
        active: stored.endReason === null,
        endReason: stored.endReason,
        hasPcap: await hasPcap(id),
        timeline: deps.audit.query({ attackId: mitigation?.id ?? id, limit: 1000 }),
        mitigation,
      };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/attacks/:id/series',
    {
      config: { role: 'viewer' },
      schema: { tags: ['attacks'], summary: 'The attack\'s rate series from the history: rates, threshold, baseline, confidence', params: IdParams, response: { 200: SeriesResponse } },
    },
    async (request) => {
      const { id } = request.params;
      const stored = source.get(id);
      if (stored === undefined) throw new BreakwaterError('BW_ERR_ATTACK_NOT_FOUND', [id, 'not recorded, or removed by retention']);
      const a = stored.attack;
      return { attackId: id, metric: a.threshold.metric, startedAt: a.startedAt, endedAt: a.endedAt ?? null, active: stored.endReason === null, points: source.series(id) };
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/attacks/:id/pcap',
    { config: { role: 'viewer' }, schema: { tags: ['attacks'], summary: 'The attack\'s capture (pcap)', params: IdParams, produces: ['application/vnd.tcpdump.pcap'] } },
    async (request, reply) => {
      const { id } = request.params;
      const path = attackPcapPath(deps.dataDir, id);
      let size: number;
      try {
        const s = await stat(path);
        if (!s.isFile()) throw new Error('not a file');
        size = s.size;
      } catch (err) {
        throw new BreakwaterError('BW_ERR_ATTACK_PCAP_MISSING', [id, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no capture file' : (err as Error).message]);
      }
      return reply
        .header('content-type', 'application/vnd.tcpdump.pcap')
        .header('content-length', String(size))
        .header('content-disposition', `attachment; filename="attack-${id}.pcap"`)
        .send(createReadStream(path));
    },
  );
};
