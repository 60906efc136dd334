// Notification events from detection's attack lifecycle: attack.started becomes attack.detected, attack.ended
// becomes attack.ended with its summary (duration, peak, vectors). attack.updated is not a notification (it
// arrives every few seconds). Event ids are derived from the attack, so the same lifecycle event published
// again (a restart) is the same notification. Until the runbook engine reports actions, `actions` is empty.
import type { AttackEvent, NotificationEvent } from '@breakwater/sdk';

/** PANEL/attacks/ID, or undefined without a panel URL. */
export function attackUrl(panelUrl: string, attackId: string): string | undefined {
  if (panelUrl === '') return undefined;
  return `${panelUrl.replace(/\/+$/, '')}/attacks/${encodeURIComponent(attackId)}`;
}

export function fromAttackEvent(event: AttackEvent, panelUrl: string): NotificationEvent | undefined {
  const { attack } = event;
  const url = attackUrl(panelUrl, attack.id);
  const base = { attack, actions: [], ...(url !== undefined ? { attackUrl: url } : {}) };
  switch (event.type) {
    case 'attack.started':
      return { ...base, type: 'attack.detected', id: `${attack.id}.detected`, at: attack.startedAt };
    case 'attack.ended': {
      const endedAt = attack.endedAt ?? attack.updatedAt;
      return {
        ...base,
        type: 'attack.ended',
        id: `${attack.id}.ended`,
        at: endedAt,
        reason: event.reason,
        summary: { durationMs: Math.max(0, endedAt - attack.startedAt), peak: attack.peak, vectors: attack.profile.vectors },
      };
    }
    case 'attack.updated':
      return undefined;
  }
}
