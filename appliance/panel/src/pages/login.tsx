// Sign in (POST /auth/login): the session cookie is set by the server; the CSRF token is kept by session.ts.
import { useState } from 'preact/hooks';
import type { ApiError } from '../api';
import { ErrorBox } from '../components/error-box';
import { login, type SessionUser } from '../session';
import { toApiError } from '../use-api';

export function LoginPage({ onLogin, notice }: { onLogin: (user: SessionUser) => void; notice?: string | undefined }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      onLogin(await login(username, password));
    } catch (err) {
      setError(toApiError(err));
      setBusy(false);
    }
  };

  return (
    <form class="card auth" onSubmit={(e) => void submit(e)}>
      <h1>Sign in to Breakwater</h1>
      {notice !== undefined ? (
        <p class="notice" role="status">
          {notice}
        </p>
      ) : null}
      <label>
        User name
        <input name="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required autocomplete="username" />
      </label>
      <label>
        Password
        <input name="password" type="password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required autocomplete="current-password" />
      </label>
      <ErrorBox error={error} title="Sign-in failed" />
      <button type="submit" disabled={busy}>
        Sign in
      </button>
    </form>
  );
}
