// Cloudflare Magic Transit on-demand advertisement: Cloudflare starts (or stops) announcing one of the
// operator's BYOIP prefixes, pulling its traffic through Cloudflare's scrubbing. The current API is the BGP
// Prefixes endpoint, PATCH /accounts/{account_id}/addressing/prefixes/{prefix_id}/bgp/prefixes/{bgp_prefix_id}
// with {"on_demand": {"advertised": true|false}}; prefixes configured without a bgpPrefixId use the older
// (deprecated) PATCH .../prefixes/{prefix_id}/bgp/status with {"advertised": true|false}. Both answer with
// Cloudflare's envelope {success, errors, messages, result}; a GET of the same path reads the state back.
// Authentication is an API token (Authorization: Bearer) with the Magic Transit or IP Prefixes write permission.
import { Type, type Static } from '@breakwater/sdk';
import { inside, parsePrefix } from './prefix.js';

export const MagicTransitSchema = Type.Object(
  {
    apiBase: Type.String({ format: 'uri', default: 'https://api.cloudflare.com/client/v4', description: 'Cloudflare API base URL.' }),
    accountId: Type.String({ minLength: 1, maxLength: 32 }),
    apiToken: Type.String({ minLength: 1, description: 'API token with Magic Transit Write or IP Prefixes: BGP On Demand Write.' }),
    prefixes: Type.Array(
      Type.Object(
        {
          cidr: Type.String({ description: 'the BYOIP prefix as onboarded, e.g. 203.0.113.0/24' }),
          prefixId: Type.String({ minLength: 1, maxLength: 32 }),
          bgpPrefixId: Type.Optional(Type.String({ minLength: 1, maxLength: 32, description: 'the BGP prefix within it; without it the deprecated bgp/status endpoint is used' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 10_000 }),
  },
  { additionalProperties: false },
);

export type MagicTransitConfig = Static<typeof MagicTransitSchema>;
export type MagicTransitPrefix = MagicTransitConfig['prefixes'][number];

interface Envelope {
  success?: boolean;
  errors?: { code?: number; message?: string }[];
  result?: { advertised?: boolean; on_demand?: { advertised?: boolean } } | null;
}

export class MagicTransit {
  constructor(
    private readonly config: MagicTransitConfig,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** The onboarded prefix holding the target (the longest, when they nest). */
  prefixFor(target: string): MagicTransitPrefix | undefined {
    return this.config.prefixes
      .filter((p) => inside(target, p.cidr))
      .sort((a, b) => (parsePrefix(b.cidr)?.length ?? 0) - (parsePrefix(a.cidr)?.length ?? 0))[0];
  }

  /** Sets the advertisement; resolves with the state Cloudflare reports after the change. */
  async advertise(prefix: MagicTransitPrefix, advertised: boolean, signal: AbortSignal): Promise<boolean> {
    const body = prefix.bgpPrefixId !== undefined ? { on_demand: { advertised } } : { advertised };
    return this.call('PATCH', prefix, signal, body);
  }

  async advertised(prefix: MagicTransitPrefix, signal: AbortSignal): Promise<boolean> {
    return this.call('GET', prefix, signal);
  }

  private async call(method: 'GET' | 'PATCH', prefix: MagicTransitPrefix, signal: AbortSignal, body?: unknown): Promise<boolean> {
    const base = this.config.apiBase.replace(/\/+$/, '');
    const account = encodeURIComponent(this.config.accountId);
    const path =
      prefix.bgpPrefixId !== undefined
        ? `/accounts/${account}/addressing/prefixes/${encodeURIComponent(prefix.prefixId)}/bgp/prefixes/${encodeURIComponent(prefix.bgpPrefixId)}`
        : `/accounts/${account}/addressing/prefixes/${encodeURIComponent(prefix.prefixId)}/bgp/status`;
    const response = await this.fetchImpl(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.config.apiToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), accept: 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.config.timeoutMs)]),
    });
    const text = await response.text();
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      throw new Error(`Cloudflare answered ${method} ${path} with HTTP ${response.status} and no JSON: ${text.slice(0, 200)}`);
    }
    if (!response.ok || envelope.success !== true) {
      const errors = (envelope.errors ?? []).map((e) => `${e.code ?? '?'} ${e.message ?? ''}`.trim()).join('; ');
      throw new Error(`Cloudflare refused ${method} ${path} (HTTP ${response.status}): ${errors || 'no error given'}`);
    }
    const state = prefix.bgpPrefixId !== undefined ? envelope.result?.on_demand?.advertised : envelope.result?.advertised;
    if (typeof state !== 'boolean') throw new Error(`Cloudflare's answer to ${method} ${path} has no advertisement state`);
    return state;
  }
}
