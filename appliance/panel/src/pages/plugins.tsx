// Plugins found on disk (GET /plugins): state, errors and call statistics, with their settings (secrets masked)
// and an editor of each plugin's settings (admin; PUT /plugins/:name/config, checked against the plugin's own
// schema with the whole configuration; plugins load at start, so a change needs a restart).
import { StateBadge } from '../components/badges';
import { ConfigEditor } from '../components/config-editor';
import { ErrorBox, Loading } from '../components/error-box';
import { useCan } from '../session';
import { useApi } from '../use-api';

interface PluginRow {
  name: string;
  version?: string;
  kind?: string;
  state?: string;
  error?: string;
  settings?: unknown;
  [key: string]: unknown;
}

export function PluginsPage() {
  const admin = useCan('admin');
  const p = useApi<{ plugins: PluginRow[]; directories: string[] }>('/plugins');
  return (
    <section>
      <h1>Plugins</h1>
      <ErrorBox error={p.error} title="Plugins unavailable" />
      {p.data === undefined ? (
        <Loading what="plugins" />
      ) : (
        <>
          <p class="muted">Looked for in: {p.data.directories.join(', ') || 'no directory'}.</p>
          {p.data.plugins.length === 0 ? <p class="muted">No plugin found.</p> : null}
          <div class="grid">
            {p.data.plugins.map((pl) => (
              <section class="card" key={pl.name}>
                <h2>
                  {pl.name} <span class="muted small">{pl.version ?? ''}</span>
                </h2>
                <p>
                  {pl.state !== undefined ? <StateBadge state={String(pl.state)} /> : null} {pl.kind !== undefined ? <span class="muted">{String(pl.kind)}</span> : null}
                </p>
                {pl.error !== undefined ? <p class="bad-text">{String(pl.error)}</p> : null}
                <details>
                  <summary>details and settings</summary>
                  <pre>{JSON.stringify(pl, null, 2)}</pre>
                </details>
                <details>
                  <summary>edit settings</summary>
                  <ConfigEditor name={`plugin-${pl.name}`} what="plugin settings" admin={admin} value={pl.settings ?? { enabled: true, config: {} }} path={`/plugins/${encodeURIComponent(pl.name)}/config`} />
                </details>
              </section>
            ))}
          </div>
        </>
      )}
    </section>
  );
}
