// First run: no account exists yet. The one-time setup token comes from the link the appliance printed
// (/setup?token=...) or is typed in; the first administrator is created with it (POST /setup).
import { useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { ErrorBox } from '../components/error-box';
import { currentLocation } from '../router';
import { toApiError } from '../use-api';

export function SetupPage({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState(currentLocation().query.get('token') ?? '');
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (password !== repeat) {
      setError(toApiError(new Error('The two passwords differ.')));
      return;
    }
    setBusy(true);
    try {
      await api('/setup', { method: 'POST', body: { token: token.trim(), username, password } });
      onDone();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card auth" onSubmit={(e) => void submit(e)}>
      <h1>Welcome to Breakwater</h1>
      <p>No administrator exists yet. Create the first one with the one-time setup token the appliance printed (console banner or log).</p>
      <label>
        Setup token
        <input name="token" value={token} onInput={(e) => setToken(e.currentTarget.value)} required autocomplete="off" />
      </label>
      <label>
        Administrator name
        <input name="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required autocomplete="username" />
      </label>
      <label>
        Password (at least 12 characters)
        <input name="password" type="password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required autocomplete="new-password" />
      </label>
      <label>
        Password again
        <input name="repeat" type="password" value={repeat} onInput={(e) => setRepeat(e.currentTarget.value)} required autocomplete="new-password" />
      </label>
      <ErrorBox error={error} title="Setup failed" />
      <button type="submit" disabled={busy}>
        Create administrator
      </button>
    </form>
  );
}
