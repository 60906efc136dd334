// Who is signed in: GET /auth/me on load (which also hands back the CSRF token after a reload), login and logout.
// Pages read the role from here to hide or disable what the role may not do; the API enforces it anyway.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { api, ApiError, roleAtLeast, setCsrfToken, type Role } from './api';

export interface SessionUser {
  username: string;
  role: Role;
}

export interface Session {
  user: SessionUser | undefined;
  setUser(user: SessionUser | undefined): void;
}

export const SessionContext = createContext<Session>({ user: undefined, setUser: () => undefined });

export function useSession(): Session {
  return useContext(SessionContext);
}

export function useCan(role: Role): boolean {
  return roleAtLeast(useSession().user?.role, role);
}

/** The signed-in user, or undefined without a session (401). Other failures are thrown. */
export async function fetchMe(): Promise<SessionUser | undefined> {
  try {
    const me = await api<{ user: SessionUser; csrfToken?: string }>('/auth/me');
    setCsrfToken(me.csrfToken);
    return me.user;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return undefined;
    throw err;
  }
}

export async function login(username: string, password: string): Promise<SessionUser> {
  const r = await api<{ user: SessionUser; csrfToken: string }>('/auth/login', { method: 'POST', body: { username, password } });
  setCsrfToken(r.csrfToken);
  return r.user;
}

export async function logout(): Promise<void> {
  await api('/auth/logout', { method: 'POST' });
  setCsrfToken(undefined);
}
