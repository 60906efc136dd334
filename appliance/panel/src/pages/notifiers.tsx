// Notification channels (GET /notifiers, secrets masked) with their delivery state, and a test message per
// channel (POST /notifiers/:channel/test, operator; the channel as saved, so a new one can be tried before the
// restart) whose outcome is shown as the channel answered, and the channels' editor (admin; PUT /notifiers,
// each channel checked against its plugin's schema; masked secrets left as they are keep the configured ones).
import { useState } from 'preact/hooks';
import { api } from '../api';
import { ConfigEditor } from '../components/config-editor';
import { ErrorBox, Loading } from '../components/error-box';
import { useCan } from '../session';
import { useAction } from '../use-action';
import { useApi } from '../use-api';

interface TestResult {
  ok: boolean;
  channel: string;
  plugin: string;
  eventId?: string;
  code?: string;
  message?: string;
  status?: number;
}

export function NotifiersPage() {
  const can = useCan('operator');
  const admin = useCan('admin');
  const [extra, setExtra] = useState('');
  const n = useApi<{ panelUrl: string; channels: Record<string, Record<string, unknown>>; delivery: Record<string, unknown> }>('/notifiers');
  const action = useAction();
  const [result, setResult] = useState<TestResult | undefined>();
  const test = (channel: string) =>
    action.run(async () => {
      setResult(undefined);
      setResult(await api<TestResult>(`/notifiers/${encodeURIComponent(channel)}/test`, { method: 'POST', body: {} }));
    });
  return (
    <section>
      <h1>Notifiers</h1>
      <ErrorBox error={n.error} title="Notifiers unavailable" />
      <ErrorBox error={action.error} title="Test message not sent" />
      {result !== undefined ? (
        <p class={result.ok ? 'ok-text' : 'bad-text'} role="status">
          {result.ok ? `Test message sent through ${result.channel} (${result.plugin}).` : `${result.channel}: ${result.code ?? 'failed'} ${result.message ?? ''}${result.status !== undefined ? ` (HTTP ${result.status})` : ''}`}
        </p>
      ) : null}
      {n.data === undefined ? (
        <Loading what="notifiers" />
      ) : (
        <>
          <p class="muted">Links in messages point to {n.data.panelUrl || '(no panel URL configured)'}.</p>
          {Object.keys(n.data.channels).length === 0 ? <p class="muted">No channel configured.</p> : null}
          <div class="grid">
            {Object.entries(n.data.channels).map(([name, channel]) => (
              <section class="card" key={name}>
                <h2>{name}</h2>
                <p class="muted">plugin {String(channel.plugin ?? '?')}</p>
                <details>
                  <summary>settings (secrets masked)</summary>
                  <pre>{JSON.stringify(channel, null, 2)}</pre>
                </details>
                {can ? (
                  <button type="button" disabled={action.busy} onClick={() => void test(name)}>
                    Send a test message
                  </button>
                ) : null}
              </section>
            ))}
          </div>
          {can ? (
            <div class="filters">
              <input name="test-channel" placeholder="channel saved, not yet in force" value={extra} onInput={(e) => setExtra(e.currentTarget.value)} aria-label="channel to test" />
              <button type="button" disabled={action.busy || extra === ''} onClick={() => void test(extra)}>
                Test this channel
              </button>
            </div>
          ) : null}
          <section class="card">
            <h2>Edit channels</h2>
            <p class="muted small">
              <code>channels</code>: name → plugin, config, secrets, minSeverity, events… (docs/notifications.md); <code>panelUrl</code> for links. Secrets are masked; leave a masked value as it is to
              keep it. Channels load at start: a change is in force after the next restart, and can be test-sent as soon as it is saved.
            </p>
            <ConfigEditor name="notifiers" what="notifier channels" admin={admin} rows={14} value={{ panelUrl: n.data.panelUrl, channels: n.data.channels }} path="/notifiers" />
          </section>
          <details>
            <summary>delivery state</summary>
            <pre>{JSON.stringify(n.data.delivery, null, 2)}</pre>
          </details>
        </>
      )}
    </section>
  );
}
