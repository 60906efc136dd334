// Is a mitigation working? The attack's own traffic, as detection currently estimates it from sFlow, must have
// fallen after a stage engaged. This module reads the current rate of an attack from the detection service
// (the engine passes it to the state machine with each tick) and measures the drop; the machine decides what
// to do about it (escalation.notEffective). Whether sFlow can see the drop depends on where routers sample:
// docs/runbooks.md ("Checking that a mitigation works") says when to use it.
import type { AttackRecord, Rates } from '@breakwater/sdk';

/** Current estimated rates of an active attack, or undefined once detection no longer tracks it. */
export interface AttackRateSource {
  currentRates(attackId: string): Rates | undefined;
}

/** The detection service's view: its active attacks carry their latest rates. */
export function detectionRateSource(detection: { activeAttacks(): AttackRecord[] }): AttackRateSource {
  return {
    currentRates(attackId) {
      return detection.activeAttacks().find((a) => a.id === attackId)?.rates;
    },
  };
}

/** The rate in the metric that started the attack (pps, bps or flows). */
export function rateOf(rates: Rates, metric: AttackRecord['threshold']['metric']): number {
  if (metric === 'bps') return rates.bps;
  if (metric === 'flows') return rates.flows ?? rates.pps;
  return rates.pps;
}

/** The fraction by which the rate fell since the stage engaged: 1 = gone, 0 = unchanged, negative = grew. */
export function reductionSince(rateAtEngage: number, rateNow: number): number {
  if (rateAtEngage <= 0) return 0;
  return 1 - rateNow / rateAtEngage;
}
