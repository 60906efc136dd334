// Users and API tokens (admin): create, change role, lock, reset a password, delete; create a token (its secret
// shown once, here) and revoke one. The API refuses leaving no unlocked admin; the panel shows that refusal.
import { useState } from 'preact/hooks';
import { api, type Role } from '../api';
import { ErrorBox, Loading } from '../components/error-box';
import { time } from '../format';
import { useSession } from '../session';
import { useAction } from '../use-action';
import { useApi } from '../use-api';

interface UserRow {
  username: string;
  role: Role;
  locked: boolean;
  lockedUntil: number | null;
  createdAt: number;
  lastLoginAt: number | null;
}

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  scopes: string[] | null;
  createdBy: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

const ROLES: Role[] = ['viewer', 'operator', 'admin'];

function Users() {
  const me = useSession().user;
  const users = useApi<{ users: UserRow[] }>('/users');
  const action = useAction();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const change = (path: string, method: string, body: unknown, message: string) =>
    action.run(async () => {
      await api(path, { method, ...(body !== undefined ? { body } : {}) });
      users.reload();
      return message;
    });
  const create = (event: Event) => {
    event.preventDefault();
    void change('/users', 'POST', { username: name.trim(), password, role }, `User ${name} created.`).then(() => setPassword(''));
  };
  return (
    <section class="card wide">
      <h2>Users</h2>
      <ErrorBox error={users.error} title="Users unavailable" />
      <ErrorBox error={action.error} title="Not changed" />
      {action.done !== undefined ? <p class="ok-text">{action.done}</p> : null}
      {users.data === undefined ? (
        <Loading what="users" />
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>name</th>
                <th>role</th>
                <th>state</th>
                <th>last login</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {users.data.users.map((u) => (
                <tr key={u.username}>
                  <td>
                    {u.username}
                    {u.username === me?.username ? <span class="muted"> (you)</span> : null}
                  </td>
                  <td>
                    <select value={u.role} aria-label={`role of ${u.username}`} onChange={(e) => void change(`/users/${encodeURIComponent(u.username)}`, 'PATCH', { role: e.currentTarget.value }, `${u.username} is now ${e.currentTarget.value}.`)}>
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {r}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{u.locked ? 'locked' : u.lockedUntil !== null ? `locked out until ${time(u.lockedUntil)}` : 'active'}</td>
                  <td>{time(u.lastLoginAt)}</td>
                  <td class="actions">
                    <button type="button" disabled={action.busy} onClick={() => void change(`/users/${encodeURIComponent(u.username)}`, 'PATCH', { locked: !u.locked }, `${u.username} ${u.locked ? 'unlocked' : 'locked'}.`)}>
                      {u.locked ? 'Unlock' : 'Lock'}
                    </button>
                    <button
                      type="button"
                      disabled={action.busy}
                      onClick={() => {
                        const pw = window.prompt(`New password for ${u.username} (at least 12 characters)`);
                        if (pw !== null) void change(`/users/${encodeURIComponent(u.username)}`, 'PATCH', { password: pw }, `Password of ${u.username} reset; their sessions ended.`);
                      }}
                    >
                      Reset password
                    </button>
                    <button
                      type="button"
                      class="danger"
                      disabled={action.busy}
                      onClick={() => {
                        if (window.confirm(`Delete ${u.username}?`)) void change(`/users/${encodeURIComponent(u.username)}`, 'DELETE', undefined, `${u.username} deleted.`);
                      }}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="filters" onSubmit={create}>
        <input placeholder="new user name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        <input type="password" placeholder="password (12+ characters)" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required autocomplete="new-password" />
        <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)} aria-label="role">
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" disabled={action.busy}>
          Create user
        </button>
      </form>
    </section>
  );
}

function Tokens() {
  const tokens = useApi<{ tokens: TokenRow[] }>('/tokens');
  const action = useAction();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [scopes, setScopes] = useState('');
  const [days, setDays] = useState('365');
  const [secret, setSecret] = useState<string | undefined>();
  const create = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const list = scopes.split(/[\s,]+/).filter((s) => s !== '');
      const r = await api<{ secret: string }>('/tokens', { method: 'POST', body: { name: name.trim(), role, ...(list.length > 0 ? { scopes: list } : {}), ...(days.trim() !== '' ? { expiresInSeconds: Math.round(Number(days) * 86400) } : {}) } });
      setSecret(r.secret);
      tokens.reload();
      return `Token ${name} created.`;
    });
  };
  const revoke = (t: TokenRow) =>
    action.run(async () => {
      if (!window.confirm(`Revoke ${t.name}? Scripts using it stop working.`)) return;
      await api(`/tokens/${t.id}`, { method: 'DELETE' });
      tokens.reload();
      return `Token ${t.name} revoked.`;
    });
  return (
    <section class="card wide">
      <h2>API tokens</h2>
      <ErrorBox error={tokens.error} title="Tokens unavailable" />
      <ErrorBox error={action.error} title="Not changed" />
      {action.done !== undefined ? <p class="ok-text">{action.done}</p> : null}
      {secret !== undefined ? (
        <div class="secret" role="status">
          Copy the secret now; it is not shown again: <code data-testid="token-secret">{secret}</code>
        </div>
      ) : null}
      {tokens.data === undefined ? (
        <Loading what="tokens" />
      ) : tokens.data.tokens.length === 0 ? (
        <p class="muted">No token.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>name</th>
                <th>role</th>
                <th>scopes</th>
                <th>expires</th>
                <th>last used</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.data.tokens.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>{t.role}</td>
                  <td>{t.scopes?.join(', ') ?? 'all'}</td>
                  <td>{time(t.expiresAt)}</td>
                  <td>{time(t.lastUsedAt)}</td>
                  <td>
                    {t.revokedAt !== null ? (
                      <span class="muted">revoked {time(t.revokedAt)}</span>
                    ) : (
                      <button type="button" class="danger" disabled={action.busy} onClick={() => void revoke(t)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="filters" onSubmit={create}>
        <input placeholder="token name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        <select value={role} onChange={(e) => setRole(e.currentTarget.value as Role)} aria-label="token role">
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <input placeholder="scopes (metrics attacks …; empty: all)" value={scopes} onInput={(e) => setScopes(e.currentTarget.value)} />
        <input type="number" min={1} placeholder="days valid" value={days} onInput={(e) => setDays(e.currentTarget.value)} aria-label="days valid" />
        <button type="submit" disabled={action.busy}>
          Create token
        </button>
      </form>
    </section>
  );
}

export function UsersPage() {
  const admin = useSession().user?.role === 'admin';
  if (!admin)
    return (
      <section>
        <h1>Users and tokens</h1>
        <p class="muted">Only an admin manages users and tokens.</p>
      </section>
    );
  return (
    <div>
      <h1>Users and tokens</h1>
      <div class="grid">
        <Users />
        <Tokens />
      </div>
    </div>
  );
}
