// The runbook Breakwater ships: used when the configuration lists none (docs/runbooks.md explains it). Two
// stages, narrowest first: the attack's signature as a FlowSpec discard rule, then RTBH of the victim address
// if the attack is still on five minutes later or the FlowSpec stage fails. No scrubbing stage: diversion needs
// a provider account, which only the operator can configure. It is built through the schema, so it carries
// exactly the defaults a configured runbook would.
import { Value } from '@sinclair/typebox/value';
import { RunbookSchema, type Runbook } from './runbook-schema.js';

/** First-party tier plugins and what they do to traffic (stage `effect` defaults). */
export const FIRST_PARTY_TIERS = {
  '@breakwater/tier-nftables': 'filter',
  '@breakwater/tier-flowspec': 'filter',
  '@breakwater/tier-rtbh': 'blackhole',
  '@breakwater/tier-scrubbing': 'divert',
  '@breakwater/example-flowspec-tier': 'filter',
} as const;

export const DEFAULT_RUNBOOK_INPUT = {
  name: 'default',
  description: 'FlowSpec discard of the attack signature; RTBH of the victim when that fails or the attack outlasts it by 5 minutes.',
  mode: 'auto',
  match: {},
  stages: [
    { name: 'flowspec', tier: '@breakwater/tier-flowspec', settings: { action: 'discard' }, maxLifetimeSeconds: 3600 },
    { name: 'rtbh', tier: '@breakwater/tier-rtbh', settings: {}, maxLifetimeSeconds: 3600 },
  ],
  escalation: { afterSeconds: 300, onFailure: true },
  deescalation: { quietSeconds: 600, steps: 'one' },
  reengage: { withinSeconds: 3600 },
} as const;

export function defaultRunbook(): Runbook {
  return Value.Default(RunbookSchema, structuredClone(DEFAULT_RUNBOOK_INPUT) as unknown) as Runbook;
}
