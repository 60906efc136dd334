// The `runbooks` and `mitigation` configuration sections: which attacks a runbook takes, its ordered stages
// (tier, settings, notifiers, lifetime), when to escalate and step down, re-engagement, approval and the mode;
// and the engine-wide mode, guardrails and "stop all" switch. Part of the one TypeBox schema in
// config/schema.ts. Checks across keys (prefix syntax, unique names, host groups that exist) are in
// runbook-validate.ts and run from config/load.ts, so every problem is reported with its path.
import { Type, type Static, type TOptional, type TSchema } from '@sinclair/typebox';
import { VECTOR_FAMILIES } from '@breakwater/sdk';

const Prefix = Type.String({ description: 'address/length, IPv4 or IPv6', pattern: '^[0-9a-fA-F:.]+/[0-9]{1,3}$' });
const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$' });

export const MODES = ['auto', 'approve', 'detect-only'] as const;
export type MitigationMode = (typeof MODES)[number];
const Mode = (description: string, defaultValue: MitigationMode) =>
  Type.Union(MODES.map((m) => Type.Literal(m)), { default: defaultValue, description });

/** What a stage does to traffic, which decides the guardrails the engine applies before it engages the tier. */
export const STAGE_EFFECTS = ['filter', 'blackhole', 'divert'] as const;
export type StageEffect = (typeof STAGE_EFFECTS)[number];

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

export const EscalationSchema = Type.Object(
  {
    afterSeconds: Type.Integer({ minimum: 0, default: 300, description: 'Escalate when the attack is still active this long after the current stage engaged (0: never for this reason).' }),
    onFailure: Type.Boolean({ default: true, description: 'Escalate when the stage fails, is refused by a guardrail, or its tier reports the mitigation gone.' }),
    rateAbove: Type.Optional(
      Type.Object(
        {
          pps: Type.Optional(Type.Number({ minimum: 0, description: 'estimated packets per second' })),
          bps: Type.Optional(Type.Number({ minimum: 0, description: 'estimated bits per second' })),
          afterSeconds: Type.Integer({ minimum: 0, default: 60, description: 'how long after the stage engaged the rate is judged' }),
        },
        { additionalProperties: false, description: 'Escalate when the estimated attack rate is still above this after the stage engaged.' },
      ),
    ),
    notEffective: Type.Optional(
      Type.Object(
        {
          afterSeconds: Type.Integer({ minimum: 1, default: 60, description: 'how long after the stage engaged the drop is judged' }),
          minReduction: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'least fraction by which the rate seen in sFlow must have fallen' }),
        },
        { additionalProperties: false, description: 'Escalate when the attack traffic seen in sFlow did not drop after the stage engaged (see docs/runbooks.md: only where routers sample after filtering).' },
      ),
    ),
    keepLowerStages: Type.Boolean({ default: true, description: 'Keep the lower stages engaged when escalating (false: the lower stage is disengaged once the higher one is in place).' }),
  },
  { default: {}, additionalProperties: false },
);

/**
 * A stage's own escalation rules, each key overriding the runbook's. No defaults here: a default would be
 * filled in and silently override what the runbook says.
 */
export const StageEscalationSchema = Type.Object(
  Object.fromEntries(Object.entries(EscalationSchema.properties).map(([key, schema]) => [key, Type.Optional(withoutDefault(schema))])) as {
    [K in keyof typeof EscalationSchema.properties]: TOptional<(typeof EscalationSchema.properties)[K]>;
  },
  { additionalProperties: false },
);

function withoutDefault<T extends TSchema>(schema: T): T {
  const { default: _dropped, ...rest } = schema as T & { default?: unknown };
  return rest as T;
}

export const RunbookStageSchema = Type.Object(
  {
    name: Name,
    tier: Type.String({ minLength: 1, description: 'the tier plugin (package name) this stage engages' }),
    settings: Type.Record(Type.String(), Type.Unknown(), { default: {}, description: "the tier's settings for this stage (RunbookStage.settings)" }),
    effect: Type.Optional(
      Type.Union(STAGE_EFFECTS.map((e) => Type.Literal(e)), {
        description: 'filter, blackhole or divert; known first-party tiers have a default, any other tier counts as divert (the strictest)',
      }),
    ),
    notifiers: Type.Array(Type.String(), { default: [], description: 'notifier plugins told about this stage (engaged, failed, escalated); empty: the notifiers routing chooses' }),
    maxLifetimeSeconds: Type.Integer({ minimum: 60, maximum: 604_800, default: 3600, description: 'the longest any action of this stage lives: its TTL, and when the engine disengages the stage' }),
    escalation: Type.Optional(StageEscalationSchema),
  },
  { additionalProperties: false },
);

export const RunbookMatchSchema = Type.Object(
  {
    prefixes: Type.Array(Prefix, { default: [], description: 'targets inside any of these (empty: any)' }),
    hostGroups: Type.Array(Type.String(), { default: [], description: 'attacks on these host groups (empty: any)' }),
    vectors: Type.Array(Type.Union(VECTOR_FAMILIES.map((v) => Type.Literal(v))), { default: [], description: 'these vector families (empty: any)' }),
    minSeverity: Type.Union(SEVERITIES.map((s) => Type.Literal(s)), { default: 'low', description: 'at least this severity' }),
    minConfidence: Type.Number({ minimum: 0, maximum: 1, default: 0, description: 'at least this classification confidence' }),
  },
  { default: {}, additionalProperties: false },
);

export const RunbookSchema = Type.Object(
  {
    name: Name,
    description: Type.String({ default: '' }),
    mode: Mode('auto, approve (each stage waits for a person) or detect-only (alerts only); mitigation.mode can only make it stricter', 'auto'),
    match: RunbookMatchSchema,
    stages: Type.Array(RunbookStageSchema, { default: [] }),
    escalation: EscalationSchema,
    deescalation: Type.Object(
      {
        quietSeconds: Type.Integer({ minimum: 0, default: 600, description: 'how long an ended attack must stay away before each step down' }),
        steps: Type.Union([Type.Literal('one'), Type.Literal('all')], { default: 'one', description: 'step down one stage at a time, or all at once' }),
      },
      { default: {}, additionalProperties: false },
    ),
    reengage: Type.Object(
      {
        withinSeconds: Type.Integer({ minimum: 0, default: 3600, description: 'an attack on the same target and vector returning within this time starts at the last stage that worked (0: never)' }),
      },
      { default: {}, additionalProperties: false },
    ),
    approval: Type.Object(
      {
        timeoutSeconds: Type.Integer({ minimum: 10, default: 900, description: 'how long a stage waits for approval' }),
        onTimeout: Type.Union([Type.Literal('engage'), Type.Literal('abandon')], { default: 'abandon', description: 'engage anyway, or leave the stage unengaged' }),
      },
      { default: {}, additionalProperties: false },
    ),
    rtbh: Type.Object(
      {
        minPrefixLengthIpv4: Type.Integer({ minimum: 8, maximum: 32, default: 32, description: 'shortest IPv4 prefix this runbook may blackhole (32: host routes only)' }),
        minPrefixLengthIpv6: Type.Integer({ minimum: 16, maximum: 128, default: 128, description: 'shortest IPv6 prefix this runbook may blackhole (128: host routes only)' }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const RunbooksSchema = Type.Array(RunbookSchema, {
  default: [],
  description: 'Runbooks, first match wins; empty: the built-in default runbook (docs/runbooks.md). Reloaded on SIGHUP.',
});

export const GuardrailsSchema = Type.Object(
  {
    protectedPrefixes: Type.Array(Prefix, { default: [], description: 'Never blackholed or diverted, whatever a runbook or plugin asks.' }),
    maxRtbhRoutes: Type.Integer({ minimum: 0, default: 100, description: 'Most RTBH routes announced at once, overall.' }),
    maxDiversionRoutes: Type.Integer({ minimum: 0, default: 16, description: 'Most diversion routes (Tier 4, BGP diversion community) announced at once, overall.' }),
    maxFlowSpecRulesPerPeer: Type.Integer({ minimum: 0, default: 100, description: 'Most FlowSpec rules a router peer gets at once (its router profile\'s maxRules applies too).' }),
    flowSpecRulesPerPeer: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { default: {}, description: 'Per peer name, overrides maxFlowSpecRulesPerPeer.' }),
    maxTtlSeconds: Type.Integer({ minimum: 60, maximum: 604_800, default: 86_400, description: 'Longest lifetime any action may carry (stages\' maxLifetimeSeconds are capped by it).' }),
    diversionPrefixLength: Type.Object(
      {
        ipv4: Type.Integer({ minimum: 8, maximum: 32, default: 24, description: 'Covering prefix length of an IPv4 victim for that check.' }),
        ipv6: Type.Integer({ minimum: 16, maximum: 128, default: 48, description: 'Covering prefix length of an IPv6 victim for that check.' }),
      },
      { default: {}, additionalProperties: false, description: 'The covering prefix a diversion is assumed to move, for the protected-prefix check before a divert stage engages.' },
    ),
    flapDamping: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Damp routes that flap (RFC 2439 style).' }),
        penalty: Type.Number({ minimum: 1, default: 1000, description: 'added each time the same route is announced again after a withdrawal' }),
        suppressAbove: Type.Number({ minimum: 1, default: 3000, description: 'announcements are refused while the penalty is above this' }),
        reuseBelow: Type.Number({ minimum: 0, default: 750, description: 'and allowed again once it decayed below this' }),
        halfLifeSeconds: Type.Integer({ minimum: 1, default: 900, description: 'the penalty halves in this time' }),
      },
      { default: {}, additionalProperties: false, description: 'RFC 2439-style damping of routes announced and withdrawn repeatedly.' },
    ),
  },
  { default: {}, additionalProperties: false },
);

export const MitigationSchema = Type.Object(
  {
    mode: Mode('Engine-wide mode: the strictest of it and a runbook\'s mode applies. detect-only (the default) alerts and acts on nothing; set auto to let runbooks act.', 'detect-only'),
    stopAll: Type.Boolean({ default: false, description: 'Withdraw every mitigation and refuse new ones (also `breakwater mitigations stop-all`).' }),
    tickMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 1000, description: 'How often timers (escalation, lifetime, approval, step-down) are evaluated.' }),
    verifyIntervalSeconds: Type.Integer({ minimum: 1, default: 30, description: 'How often engaged stages are verified (tier verify hook and the speaker\'s desired routes).' }),
    guardrails: GuardrailsSchema,
  },
  { default: {}, additionalProperties: false },
);

export type Runbook = Static<typeof RunbookSchema>;
export type RunbookStageConfig = Static<typeof RunbookStageSchema>;
export type EscalationConfig = Static<typeof EscalationSchema>;
export type MitigationConfig = Static<typeof MitigationSchema>;
export type GuardrailsConfig = Static<typeof GuardrailsSchema>;
