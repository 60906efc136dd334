// Protected networks, host groups and their thresholds (GET /host-groups), edited as YAML by an admin
// (PUT /host-groups: validated with the whole configuration; detection reads them at start, so the answer says
// they need a restart). The global thresholds are sent only when they were changed, so a save does not write
// every default into the file.
import { ConfigEditor } from '../components/config-editor';
import { ErrorBox, Loading } from '../components/error-box';
import { useCan } from '../session';
import { useApi } from '../use-api';

interface HostGroupsResponse {
  networks: string[];
  hostGroups: Record<string, unknown>[];
  defaults: Record<string, unknown>;
}

export function HostGroupsEditor() {
  const admin = useCan('admin');
  const current = useApi<HostGroupsResponse>('/host-groups');
  const shownDefaults = JSON.stringify(current.data?.defaults ?? {});
  return (
    <section class="card">
      <h2>Host groups and thresholds</h2>
      <p class="muted small">
        <code>networks</code>, <code>hostGroups</code> (name, parent, prefixes, thresholds…) and the global <code>defaults</code> (detection.thresholds, blockThresholds,
        networkThresholds); see docs/detection.md. Detection reads them at start: a save takes effect at the next restart.
      </p>
      <ErrorBox error={current.error} title="Host groups unavailable" />
      {current.data === undefined ? (
        <Loading what="host groups" />
      ) : (
        <ConfigEditor
          name="host-groups"
          what="host groups"
          admin={admin}
          rows={16}
          value={current.data}
          path="/host-groups"
          toBody={(doc) => {
            const d = (doc ?? {}) as Partial<HostGroupsResponse>;
            return { networks: d.networks, hostGroups: d.hostGroups ?? [], ...(d.defaults !== undefined && JSON.stringify(d.defaults) !== shownDefaults ? { defaults: d.defaults } : {}) };
          }}
        />
      )}
    </section>
  );
}
