// Settings: the configuration in force (GET /settings, defaults filled in, secrets masked) and the health of
// every component (GET /health), with the protected prefixes and host groups editors (admin). Sections other
// than runbooks and mitigation take effect at a restart.
import { ErrorBox, Loading } from '../components/error-box';
import { useApi } from '../use-api';
import { HostGroupsEditor } from './host-groups';
import { ProtectedPrefixes } from './protected-prefixes';

export function SettingsPage() {
  const s = useApi<{ configPath: string | null; dataDir: string; config: Record<string, unknown> }>('/settings');
  const h = useApi<Record<string, unknown>>('/health');
  return (
    <section>
      <h1>Settings</h1>
      <ErrorBox error={s.error} title="Settings unavailable" />
      {s.data === undefined ? (
        <Loading what="settings" />
      ) : (
        <>
          <p>
            Configuration file <code>{s.data.configPath ?? '(none: embedded defaults; changes cannot be saved)'}</code>, data directory <code>{s.data.dataDir}</code>.
          </p>
          {Object.entries(s.data.config).map(([section, value]) => (
            <details key={section}>
              <summary>{section}</summary>
              <pre>{JSON.stringify(value, null, 2)}</pre>
            </details>
          ))}
        </>
      )}
      <ProtectedPrefixes />
      <HostGroupsEditor />
      <h2>Health</h2>
      <ErrorBox error={h.error} title="Health unavailable" />
      {h.data === undefined ? (
        <Loading what="health" />
      ) : (
        Object.entries(h.data).map(([section, value]) => (
          <details key={section}>
            <summary>{section}</summary>
            <pre>{JSON.stringify(value, null, 2)}</pre>
          </details>
        ))
      )}
    </section>
  );
}
