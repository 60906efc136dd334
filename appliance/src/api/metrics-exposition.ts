// GET /metrics: the Prometheus text exposition (format 0.0.4) of what the components report — the same figures as
// /health, flattened: every finite number or boolean at any depth becomes one gauge named
// breakwater_<section>_<path in snake case>. Strings and arrays are left out (they are labels, not figures).
// Written here rather than with prom-client: the figures already exist in report(), nothing needs registering,
// and one scrape walks each report once.

export type ReportSections = Record<string, () => unknown>;

const MAX_DEPTH = 4;

export function metricName(parts: readonly string[]): string {
  return parts
    .map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9_]/g, '_'))
    .join('_')
    .replace(/_+/g, '_');
}

export function renderMetrics(sections: ReportSections, extra: Record<string, unknown> = {}): string {
  const lines: string[] = [];
  const emit = (name: string, value: number) => {
    lines.push(`# TYPE ${name} gauge`, `${name} ${Number.isInteger(value) ? value : value.toPrecision(12).replace(/\.?0+$/, '')}`);
  };
  emit('breakwater_up', 1);
  const seen = new Set<string>(['breakwater_up']);
  const walk = (value: unknown, path: string[], depth: number) => {
    if (typeof value === 'number' || typeof value === 'boolean') {
      const n = typeof value === 'boolean' ? (value ? 1 : 0) : value;
      const name = metricName(['breakwater', ...path]);
      if (Number.isFinite(n) && !seen.has(name)) {
        seen.add(name);
        emit(name, n);
      }
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value) || depth >= MAX_DEPTH) return;
    for (const [key, v] of Object.entries(value)) walk(v, [...path, key], depth + 1);
  };
  for (const [section, read] of Object.entries(sections)) {
    let report: unknown;
    try {
      report = read();
    } catch {
      continue;
    }
    walk(report, [section], 0);
  }
  for (const [key, value] of Object.entries(extra)) walk(value, key.split('.'), 0);
  return `${lines.join('\n')}\n`;
}
