// API tokens (table `users_api_tokens`) for scripts and monitoring: `Authorization: Bearer bwt_...`. The secret is
// random, shown once at creation and stored only as its SHA-256. A token has a role, optional scopes (the route
// groups it may reach: "metrics", "attacks", ...), an optional expiry, and records when it was last used.
import { randomBytes } from 'node:crypto';
import type { Role } from './api-types.js';
import { randomSecret, sha256Hex } from './users-tables.js';
import type { SqliteDatabase, SqliteStatement } from '../storage/sqlite.js';

export const TOKEN_PREFIX = 'bwt_';

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  scopes: string[] | undefined;
  createdBy: string;
  createdAt: number;
  expiresAt: number | undefined;
  lastUsedAt: number | undefined;
  revokedAt: number | undefined;
}

interface Row {
  id: string;
  name: string;
  secret_hash: string;
  role: string;
  scopes: string | null;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

const LAST_USED_INTERVAL_MS = 60_000;

export class ApiTokenStore {
  /** verify()'s statements, prepared once: it runs on every request with a token, and a prepare costs more than the query. */
  private bySecret: SqliteStatement | undefined;
  private touch: SqliteStatement | undefined;

  constructor(private readonly db: SqliteDatabase) {}

  /** Creates a token; returns it with its secret (the only time the secret exists), or undefined if the name is taken. */
  create(t: { name: string; role: Role; scopes?: string[] | undefined; expiresAt?: number | undefined; createdBy: string }, now: number): { token: ApiToken; secret: string } | undefined {
    const id = randomBytes(8).toString('hex');
    const secret = TOKEN_PREFIX + randomSecret();
    const r = this.db
      .prepare('INSERT OR IGNORE INTO users_api_tokens (id, name, secret_hash, role, scopes, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, t.name, sha256Hex(secret), t.role, t.scopes === undefined ? null : JSON.stringify(t.scopes), t.createdBy, now, t.expiresAt ?? null);
    if (r.changes !== 1) return undefined;
    return { token: this.get(id)!, secret };
  }

  list(): ApiToken[] {
    return (this.db.prepare('SELECT * FROM users_api_tokens ORDER BY created_at, name').all() as Row[]).map(fromRow);
  }

  get(id: string): ApiToken | undefined {
    const row = this.db.prepare('SELECT * FROM users_api_tokens WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** The live token of a bearer secret: not revoked, not expired. Records its use. */
  verify(secret: string, now: number): ApiToken | undefined {
    if (!secret.startsWith(TOKEN_PREFIX)) return undefined;
    this.bySecret ??= this.db.prepare('SELECT * FROM users_api_tokens WHERE secret_hash = ?');
    const row = this.bySecret.get(sha256Hex(secret)) as Row | undefined;
    if (row === undefined || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return undefined;
    if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_INTERVAL_MS) {
      this.touch ??= this.db.prepare('UPDATE users_api_tokens SET last_used_at = ? WHERE id = ?');
      this.touch.run(now, row.id);
      row.last_used_at = now;
    }
    return fromRow(row);
  }

  /** Revokes a token (the row stays, listed as revoked); false when there is no such live token. */
  revoke(id: string, now: number): boolean {
    return this.db.prepare('UPDATE users_api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes === 1;
  }
}

function fromRow(row: Row): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    scopes: row.scopes === null ? undefined : (JSON.parse(row.scopes) as string[]),
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at ?? undefined,
    lastUsedAt: row.last_used_at ?? undefined,
    revokedAt: row.revoked_at ?? undefined,
  };
}
