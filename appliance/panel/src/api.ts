// The panel's one door to the REST API (docs/api.md): JSON in and out under /api/v1, the session cookie sent by
// the browser, the session's CSRF token on every unsafe method, and every failure turned into an ApiError that
// keeps the API's { error: { code, message, details } } so pages can show it as it is.
export type Role = 'viewer' | 'operator' | 'admin';

export interface Problem {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { problems?: Problem[] } & Record<string, unknown>,
  ) {
    super(message);
  }

  /** The failing paths of a validation error (BW_ERR_API_VALIDATION, BW_ERR_CONFIG_INVALID). */
  get problems(): Problem[] {
    return Array.isArray(this.details?.problems) ? this.details.problems : [];
  }
}

let csrfToken: string | undefined;
let sessionEnded: (() => void) | undefined;

/** Called when a page's request finds the session gone (expired, logged out elsewhere, user locked). */
export function onSessionEnded(handler: (() => void) | undefined): void {
  sessionEnded = handler;
}

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Calls the API; resolves with the JSON answer or rejects with an ApiError. `path` is below /api/v1. */
export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (UNSAFE.has(method) && csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, credentials: 'same-origin', ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `The appliance did not answer (${(err as Error).message}). Is it running?`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ApiError(response.status, 'BAD_RESPONSE', `The appliance answered ${response.status} with something that is not JSON.`);
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } }).error;
    if (response.status === 401 && error?.code === 'BW_ERR_API_UNAUTHENTICATED' && !path.startsWith('/auth/') && !path.startsWith('/setup')) sessionEnded?.();
    throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? `HTTP ${response.status}`, error?.details);
  }
  return body as T;
}

export const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAtLeast(role: Role | undefined, wanted: Role): boolean {
  return role !== undefined && ROLE_RANK[role] >= ROLE_RANK[wanted];
}

/** Path segment for an id that may hold a '/' (manual RTBH ids: rtbh-198.51.100.7/32). */
export function idSegment(id: string): string {
  return encodeURIComponent(id);
}
