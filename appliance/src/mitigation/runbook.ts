// Reading runbooks: which runbook takes an attack (first match wins), the mode that applies (the strictest of
// the engine's and the runbook's), a stage's effect and its escalation rules after the stage's overrides.
// Pure functions over validated configuration; the state machine and the engine call them.
import type { AttackRecord, Severity } from '@breakwater/sdk';
import { parsePrefix, prefixInside } from '../flowspec/prefix.js';
import { FIRST_PARTY_TIERS, defaultRunbook } from './default-runbook.js';
import type { EscalationConfig, MitigationMode, Runbook, RunbookStageConfig, StageEffect } from './runbook-schema.js';

const SEVERITY_ORDER: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
const MODE_ORDER: Record<MitigationMode, number> = { auto: 0, approve: 1, 'detect-only': 2 };

/** The runbooks in force: the configured ones, or the built-in default when none is configured. */
export function runbooksInForce(configured: readonly Runbook[]): Runbook[] {
  return configured.length > 0 ? [...configured] : [defaultRunbook()];
}

export function runbookMatches(runbook: Runbook, attack: AttackRecord): boolean {
  const m = runbook.match;
  if (m.vectors.length > 0 && !(m.vectors as readonly string[]).includes(attack.vector)) return false;
  if (m.hostGroups.length > 0 && !m.hostGroups.includes(attack.hostGroup)) return false;
  if (SEVERITY_ORDER[attack.severity] < SEVERITY_ORDER[m.minSeverity]) return false;
  if (attack.confidence < m.minConfidence) return false;
  if (m.prefixes.length > 0 && !m.prefixes.some((p) => targetInside(attack.target, p))) return false;
  return true;
}

/** The first runbook that takes the attack, or undefined. */
export function selectRunbook(runbooks: readonly Runbook[], attack: AttackRecord): Runbook | undefined {
  return runbooks.find((r) => runbookMatches(r, attack));
}

/** The engine-wide mode can only make a runbook stricter: auto < approve < detect-only. */
export function effectiveMode(engine: MitigationMode, runbook: MitigationMode): MitigationMode {
  return MODE_ORDER[engine] >= MODE_ORDER[runbook] ? engine : runbook;
}

/** What the stage does to traffic: as configured, else the first-party tier's, else divert (the strictest). */
export function stageEffect(stage: RunbookStageConfig): StageEffect {
  return stage.effect ?? (FIRST_PARTY_TIERS as Record<string, StageEffect>)[stage.tier] ?? 'divert';
}

/** The runbook's escalation rules with the stage's overrides applied. */
export function stageEscalation(runbook: Runbook, index: number): EscalationConfig {
  const own = runbook.stages[index]?.escalation ?? {};
  const merged: Record<string, unknown> = { ...runbook.escalation };
  for (const [key, value] of Object.entries(own)) if (value !== undefined) merged[key] = value;
  return merged as EscalationConfig;
}

/** An address or prefix target inside a prefix ("203.0.113.10" in "203.0.113.0/24"). */
export function targetInside(target: string, prefix: string): boolean {
  const inner = parsePrefix(asPrefix(target));
  const outer = parsePrefix(prefix);
  return inner.ok && outer.ok && prefixInside(inner.prefix, outer.prefix);
}

/** "203.0.113.10" -> "203.0.113.10/32"; prefixes unchanged. */
export function asPrefix(target: string): string {
  if (target.includes('/')) return target;
  return `${target}/${target.includes(':') ? 128 : 32}`;
}
