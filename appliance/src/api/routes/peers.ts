// BGP peers: their configuration (TCP-MD5 passwords masked) next to the live session state the speaker reports,
// and replacing them (admin; the speaker reads its peers at start, so the answer says restartNeeded). A
// password sent back masked keeps the configured one. Session state changes are published on the live stream
// (event "peers"), polled every few seconds: the speakers report state when asked, not by callback.
import { Type, type Static } from '@sinclair/typebox';
import { BgpPeerSchema, type BgpPeerConfig } from '../../config/schema.js';
import type { PeerStatus } from '../../bgp/speaker.js';
import type { ApiDeps, RouteModule } from '../api-types.js';
import { ConfigChangeResultSchema, changeConfiguration, keepSentBody, sentBody } from './config-change.js';
import { isMasked, maskSecrets } from './masking.js';

const PeerBody = Type.Object(
  {
    ...BgpPeerSchema.properties,
    md5Password: Type.Optional(Type.String({ minLength: 1, maxLength: 80, description: 'a new password, or the masked value GET /peers showed to keep the configured one' })),
  },
  { additionalProperties: false },
);

const PeerOut = Type.Object(
  {
    config: Type.Object({}, { additionalProperties: true }),
    state: Type.String({ description: 'RFC 4271 state, "down" or "unknown"' }),
    since: Type.Union([Type.Number(), Type.Null()]),
    info: Type.String(),
  },
  { additionalProperties: false },
);

const PEER_POLL_MS = 5000;

async function sessions(deps: ApiDeps): Promise<PeerStatus[]> {
  const speaker = deps.appliance.speaker;
  if (speaker === undefined) return [];
  try {
    return await speaker.peers();
  } catch {
    return [];
  }
}

export const peerRoutes: RouteModule = (app, deps) => {
  let timer: NodeJS.Timeout | undefined;
  let last = '';
  app.addHook('onReady', async () => {
    timer = setInterval(() => {
      void sessions(deps).then((now) => {
        const text = JSON.stringify(now.map((p) => [p.name, p.state]));
        if (text === last) return;
        last = text;
        deps.events.publish('peers', { t: deps.clock(), peers: now });
      });
    }, PEER_POLL_MS);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    if (timer !== undefined) clearInterval(timer);
  });

  app.get(
    '/peers',
    {
      config: { role: 'viewer' },
      schema: { tags: ['configuration'], summary: 'BGP peers: configuration and live session state', response: { 200: Type.Object({ speaker: Type.String(), localAsn: Type.Integer(), peers: Type.Array(PeerOut) }, { additionalProperties: false }) } },
    },
    async () => {
      const bgp = deps.config().bgp;
      const live = new Map((await sessions(deps)).map((s) => [s.name, s]));
      return {
        speaker: bgp.speaker,
        localAsn: bgp.localAsn,
        peers: bgp.peers.map((p) => {
          const s = live.get(p.name);
          return { config: maskSecrets(p) as Record<string, unknown>, state: s?.state ?? (bgp.speaker === 'none' ? 'down' : 'unknown'), since: s?.since ?? null, info: s?.info ?? '' };
        }),
      };
    },
  );

  app.put<{ Body: { peers: Static<typeof PeerBody>[] } }>(
    '/peers',
    { config: { role: 'admin' }, preValidation: keepSentBody, schema: { tags: ['configuration'], summary: 'Replace the BGP peers (takes effect at the next restart)', body: Type.Object({ peers: Type.Array(PeerBody, { maxItems: 256 }) }, { additionalProperties: false }), response: { 200: ConfigChangeResultSchema } } },
    async (request) =>
      changeConfiguration(deps, request, 'peers', (doc) => {
        const bgp = { ...((doc.bgp as Record<string, unknown> | undefined) ?? {}) };
        const before = new Map(((bgp.peers as BgpPeerConfig[] | undefined) ?? []).map((p) => [p.name, p]));
        bgp.peers = sentBody<{ peers: Static<typeof PeerBody>[] }>(request).peers.map((p) => {
          if (!isMasked(p.md5Password)) return p;
          const kept = before.get(p.name)?.md5Password;
          const { md5Password: _masked, ...rest } = p;
          return kept !== undefined ? { ...rest, md5Password: kept } : rest;
        });
        doc.bgp = bgp;
      }),
  );
};
