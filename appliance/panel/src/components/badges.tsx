// Small status marks: severity, phase, BGP session state.
export function SeverityBadge({ severity }: { severity: string }) {
  return <span class={`badge sev-${severity}`}>{severity}</span>;
}

export function StateBadge({ state }: { state: string }) {
  const good = ['established', 'up', 'engaged', 'active', 'listening', 'ok', 'running', 'loaded'].includes(state);
  const bad = ['down', 'failed', 'error', 'stopped'].includes(state);
  return <span class={`badge ${good ? 'good' : bad ? 'bad' : 'neutral'}`}>{state}</span>;
}
