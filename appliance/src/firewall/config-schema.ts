// The `firewall` configuration section: Tier 1 local filtering on the appliance (when it sits in the traffic
// path) and the agent API that hands rules to protected servers running `breakwater agent`.
import { Type, type Static } from '@sinclair/typebox';

export const FirewallSchema = Type.Object(
  {
    local: Type.Boolean({
      default: false,
      description: 'Filter on this host: true when the appliance is in the traffic path (a Linux edge router or scrubbing host).',
    }),
    backend: Type.Union([Type.Literal('auto'), Type.Literal('nftables'), Type.Literal('iptables')], {
      default: 'auto',
      description: 'auto: nftables when nft is installed, else iptables (agents choose with --backend).',
    }),
    iptables: Type.Union([Type.Literal('iptables'), Type.Literal('iptables-nft'), Type.Literal('iptables-legacy')], {
      default: 'iptables',
      description: 'The iptables flavour of the fallback (ip6tables and the -save/-restore tools follow it).',
    }),
    agents: Type.Object(
      {
        enabled: Type.Boolean({ default: false, description: 'Serve the agent API: protected servers pull their rules from it over HTTPS.' }),
        listen: Type.String({
          default: '[::]:8443',
          pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^\\[\\]:]+):[0-9]{1,5}$',
          description: 'host:port of the agent API (TLS, self-signed certificate in DATADIR/agent-api, pinned by agents).',
        }),
        leaseSeconds: Type.Integer({
          default: 60,
          minimum: 2,
          maximum: 3600,
          description: 'How long an agent keeps its rules without hearing from the appliance; keep it a few poll intervals long.',
        }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false },
);

export type FirewallConfig = Static<typeof FirewallSchema>;
