// Checks of the runbooks and mitigation sections that the schema cannot express: prefixes that parse (no host
// bits), unique runbook and stage names, host groups that exist, rate conditions that name a rate. Runs from
// config/load.ts with the rest of the configuration, so a bad runbook is refused at start and at reload
// (the running runbooks stay) with every problem and its path.
import type { Config } from '../config/schema.js';
import { parsePrefix } from '../flowspec/prefix.js';

export interface RunbookProblem {
  path: string;
  message: string;
}

export function checkRunbooks(config: Pick<Config, 'runbooks' | 'mitigation' | 'hostGroups'>): RunbookProblem[] {
  const problems: RunbookProblem[] = [];
  const prefix = (path: string, text: string) => {
    const parsed = parsePrefix(text);
    if (!parsed.ok) problems.push({ path, message: parsed.reason === 'host-bits' ? `${parsed.message}; did you mean ${parsed.suggestion}?` : parsed.message });
  };
  config.mitigation.guardrails.protectedPrefixes.forEach((p, i) => prefix(`/mitigation/guardrails/protectedPrefixes/${i}`, p));

  const groups = new Set(['global', ...config.hostGroups.map((g) => g.name)]);
  const names = new Set<string>();
  config.runbooks.forEach((runbook, r) => {
    const at = `/runbooks/${r}`;
    if (names.has(runbook.name)) problems.push({ path: `${at}/name`, message: `"${runbook.name}" is used by another runbook` });
    names.add(runbook.name);
    if (runbook.stages.length === 0 && runbook.mode !== 'detect-only') {
      problems.push({ path: `${at}/stages`, message: 'a runbook that acts needs at least one stage (or mode: detect-only)' });
    }
    runbook.match.prefixes.forEach((p, i) => prefix(`${at}/match/prefixes/${i}`, p));
    runbook.match.hostGroups.forEach((g, i) => {
      if (!groups.has(g)) problems.push({ path: `${at}/match/hostGroups/${i}`, message: `no host group "${g}" (hostGroups)` });
    });
    const stageNames = new Set<string>();
    runbook.stages.forEach((stage, s) => {
      if (stageNames.has(stage.name)) problems.push({ path: `${at}/stages/${s}/name`, message: `"${stage.name}" is used by another stage of this runbook` });
      stageNames.add(stage.name);
      if (stage.maxLifetimeSeconds > config.mitigation.guardrails.maxTtlSeconds) {
        problems.push({ path: `${at}/stages/${s}/maxLifetimeSeconds`, message: `exceeds mitigation.guardrails.maxTtlSeconds (${config.mitigation.guardrails.maxTtlSeconds})` });
      }
      const rate = stage.escalation?.rateAbove;
      if (rate !== undefined && rate.pps === undefined && rate.bps === undefined) {
        problems.push({ path: `${at}/stages/${s}/escalation/rateAbove`, message: 'give pps, bps or both' });
      }
    });
    const rate = runbook.escalation.rateAbove;
    if (rate !== undefined && rate.pps === undefined && rate.bps === undefined) {
      problems.push({ path: `${at}/escalation/rateAbove`, message: 'give pps, bps or both' });
    }
  });
  return problems;
}
