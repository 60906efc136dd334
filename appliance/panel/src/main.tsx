// The panel's entry: decides between first-run setup, sign-in and the pages, and lays them out with the
// navigation. Every page reads the REST API (api.ts) and the live stream (live.ts); none computes state.
import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, onSessionEnded, type ApiError } from './api';
import { ErrorBox } from './components/error-box';
import { closeLive, useLiveStatus } from './live';
import { matchRoute, navigate, useLocation } from './router';
import { fetchMe, logout, SessionContext, type SessionUser } from './session';
import { toApiError } from './use-api';
import { AttackPage } from './pages/attack';
import { AttacksPage } from './pages/attacks';
import { AuditPage } from './pages/audit';
import { DashboardPage } from './pages/dashboard';
import { LoginPage } from './pages/login';
import { MitigationsPage } from './pages/mitigations';
import { NotifiersPage } from './pages/notifiers';
import { PeersPage } from './pages/peers';
import { PluginsPage } from './pages/plugins';
import { RunbooksPage } from './pages/runbooks';
import { SettingsPage } from './pages/settings';
import { SetupPage } from './pages/setup';
import { UsersPage } from './pages/users';
import './styles.css';

const NAV: { path: string; label: string; admin?: boolean }[] = [
  { path: '/', label: 'Dashboard' },
  { path: '/attacks', label: 'Attacks' },
  { path: '/mitigations', label: 'Mitigations' },
  { path: '/runbooks', label: 'Runbooks' },
  { path: '/peers', label: 'Peers' },
  { path: '/plugins', label: 'Plugins' },
  { path: '/notifiers', label: 'Notifiers' },
  { path: '/audit', label: 'Audit' },
  { path: '/users', label: 'Users & tokens', admin: true },
  { path: '/settings', label: 'Settings' },
];

function Page({ path }: { path: string }) {
  let m: Record<string, string> | undefined;
  if ((m = matchRoute('/attacks/:id', path))) return <AttackPage id={m.id!} />;
  switch (path.replace(/(.)\/$/, '$1')) {
    case '/':
      return <DashboardPage />;
    case '/attacks':
      return <AttacksPage />;
    case '/mitigations':
      return <MitigationsPage />;
    case '/runbooks':
      return <RunbooksPage />;
    case '/peers':
      return <PeersPage />;
    case '/plugins':
      return <PluginsPage />;
    case '/notifiers':
      return <NotifiersPage />;
    case '/audit':
      return <AuditPage />;
    case '/users':
      return <UsersPage />;
    case '/settings':
      return <SettingsPage />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            No panel page at <code>{path}</code>. <a href="/">Back to the dashboard</a>.
          </p>
        </section>
      );
  }
}

function Shell({ user, onLogout }: { user: SessionUser; onLogout: () => void }) {
  const { path } = useLocation();
  const live = useLiveStatus();
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [path]);
  const active = (p: string) => (p === '/' ? path === '/' : path === p || path.startsWith(`${p}/`));
  return (
    <div class="shell">
      <header class="topbar">
        <button class="menu-toggle" type="button" aria-label="Menu" aria-expanded={menuOpen} onClick={() => setMenuOpen(!menuOpen)}>
          ☰
        </button>
        <a class="brand" href="/">
          Breakwater
        </a>
        <span class={`live ${live ? 'on' : 'off'}`} title={live ? 'live updates connected' : 'live updates disconnected; reconnecting'}>
          {live ? '● live' : '○ offline'}
        </span>
        <span class="who">
          <span data-testid="whoami">
            {user.username} ({user.role})
          </span>
          <button type="button" class="link" onClick={onLogout}>
            Sign out
          </button>
        </span>
      </header>
      <nav class={`sidenav ${menuOpen ? 'open' : ''}`}>
        {NAV.filter((n) => n.admin !== true || user.role === 'admin').map((n) => (
          <a key={n.path} href={n.path} class={active(n.path) ? 'active' : ''}>
            {n.label}
          </a>
        ))}
      </nav>
      <main class="content">
        <Page path={path} />
      </main>
    </div>
  );
}

function App() {
  const { path } = useLocation();
  const [state, setState] = useState<{ phase: 'loading' } | { phase: 'setup' } | { phase: 'login'; notice?: string } | { phase: 'in'; user: SessionUser } | { phase: 'failed'; error: ApiError }>({ phase: 'loading' });

  const boot = useCallback(async () => {
    try {
      const status = await api<{ setupRequired: boolean }>('/setup/status');
      if (status.setupRequired) return setState({ phase: 'setup' });
      const user = await fetchMe();
      setState(user === undefined ? { phase: 'login' } : { phase: 'in', user });
    } catch (err) {
      setState({ phase: 'failed', error: toApiError(err) });
    }
  }, []);
  useEffect(() => {
    void boot();
  }, [boot]);

  useEffect(() => {
    onSessionEnded(() => {
      closeLive();
      setState({ phase: 'login', notice: 'Your session ended (it expired, was signed out, or the account changed). Sign in again.' });
    });
    return () => onSessionEnded(undefined);
  }, []);

  const setUser = useCallback((user: SessionUser | undefined) => setState(user === undefined ? { phase: 'login' } : { phase: 'in', user }), []);
  const onLogout = useCallback(async () => {
    try {
      await logout();
    } finally {
      closeLive();
      setState({ phase: 'login' });
      navigate('/login', true);
    }
  }, []);

  if (state.phase === 'loading') return <p class="center muted">Loading…</p>;
  if (state.phase === 'failed')
    return (
      <div class="center narrow">
        <ErrorBox error={state.error} title="The panel cannot reach the appliance" />
        <button type="button" onClick={() => void boot()}>
          Retry
        </button>
      </div>
    );
  if (state.phase === 'setup') return <SetupPage onDone={() => { setState({ phase: 'login' }); navigate('/login', true); }} />;
  if (state.phase === 'login') return <LoginPage notice={state.notice} onLogin={(user) => { setUser(user); if (path === '/login' || path === '/setup') navigate('/', true); }} />;
  return (
    <SessionContext.Provider value={{ user: state.user, setUser }}>
      <Shell user={state.user} onLogout={() => void onLogout()} />
    </SessionContext.Provider>
  );
}

render(<App />, document.getElementById('app')!);
