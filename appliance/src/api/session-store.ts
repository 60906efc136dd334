// Server-side login sessions (table `users_sessions`). The browser holds a random 256-bit id in the bw_session
// cookie; only its SHA-256 is stored, so a copy of the database does not hold usable sessions. A session ends
// when unused for idleSeconds or absoluteSeconds after login, on logout, and when its user is locked, demoted
// or deleted. Each session has its own CSRF token for the double-submit check of unsafe requests.
import { randomSecret, sha256Hex } from './users-tables.js';
import type { SqliteDatabase, SqliteStatement } from '../storage/sqlite.js';

export interface SessionLimits {
  idleSeconds: number;
  absoluteSeconds: number;
}

export interface Session {
  username: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

interface Row {
  id_hash: string;
  username: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
}

/** last_seen_at is written at most this often, so a busy panel does not commit (and fsync) on every request. */
const TOUCH_INTERVAL_MS = 30_000;

export class SessionStore {
  /** resume()'s lookup, prepared once: it runs on every request with a session cookie. */
  private byHash: SqliteStatement | undefined;

  constructor(private readonly db: SqliteDatabase, private readonly limits: () => SessionLimits) {}

  /** Starts a session; returns the cookie value (the only copy of the id) and the CSRF token. */
  create(username: string, client: string, now: number): { id: string; csrfToken: string } {
    const id = randomSecret();
    const csrfToken = randomSecret();
    this.db.prepare('INSERT INTO users_sessions (id_hash, username, csrf_token, created_at, last_seen_at, client) VALUES (?, ?, ?, ?, ?, ?)').run(sha256Hex(id), username, csrfToken, now, now, client);
    return { id, csrfToken };
  }

  /** The live session of a cookie value, refreshing its idle time; undefined (and deleted) when expired. */
  resume(id: string, now: number): Session | undefined {
    const hash = sha256Hex(id);
    this.byHash ??= this.db.prepare('SELECT * FROM users_sessions WHERE id_hash = ?');
    const row = this.byHash.get(hash) as Row | undefined;
    if (row === undefined) return undefined;
    const { idleSeconds, absoluteSeconds } = this.limits();
    if (now - row.last_seen_at > idleSeconds * 1000 || now - row.created_at > absoluteSeconds * 1000) {
      this.db.prepare('DELETE FROM users_sessions WHERE id_hash = ?').run(hash);
      return undefined;
    }
    if (now - row.last_seen_at >= TOUCH_INTERVAL_MS) this.db.prepare('UPDATE users_sessions SET last_seen_at = ? WHERE id_hash = ?').run(now, hash);
    return { username: row.username, csrfToken: row.csrf_token, createdAt: row.created_at, lastSeenAt: now };
  }

  end(id: string): void {
    this.db.prepare('DELETE FROM users_sessions WHERE id_hash = ?').run(sha256Hex(id));
  }

  endAllOf(username: string): number {
    return this.db.prepare('DELETE FROM users_sessions WHERE username = ?').run(username).changes;
  }

  /** Deletes every expired session (run now and then; resume() also drops the ones it meets). */
  sweep(now: number): number {
    const { idleSeconds, absoluteSeconds } = this.limits();
    return this.db.prepare('DELETE FROM users_sessions WHERE last_seen_at < ? OR created_at < ?').run(now - idleSeconds * 1000, now - absoluteSeconds * 1000).changes;
  }
}
