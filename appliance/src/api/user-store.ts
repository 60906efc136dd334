// Accounts of the REST API and web panel (table `users`): name, role, argon2id password hash, locks.
import type { Role } from './api-types.js';
import type { SqliteDatabase } from '../storage/sqlite.js';

export interface User {
  username: string;
  role: Role;
  /** Locked by an administrator: no login, and its sessions end. */
  locked: boolean;
  /** Locked after too many wrong passwords until this time (ms), or undefined. */
  lockedUntil: number | undefined;
  createdAt: number;
  updatedAt: number;
  lastLoginAt: number | undefined;
}

interface Row {
  username: string;
  role: string;
  password_hash: string;
  locked: number;
  locked_until: number | null;
  created_at: number;
  updated_at: number;
  last_login_at: number | null;
}

export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$';

export class UserStore {
  constructor(private readonly db: SqliteDatabase) {}

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  countAdmins(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND locked = 0").get() as { n: number }).n;
  }

  list(): User[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY username').all() as Row[]).map(fromRow);
  }

  get(username: string): User | undefined {
    const row = this.row(username);
    return row === undefined ? undefined : fromRow(row);
  }

  passwordHash(username: string): string | undefined {
    return this.row(username)?.password_hash;
  }

  /** Inserts a user; false when the name is taken. */
  create(user: { username: string; role: Role; passwordHash: string }, now: number): boolean {
    const r = this.db
      .prepare('INSERT OR IGNORE INTO users (username, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
      .run(user.username, user.role, user.passwordHash, now, now);
    return r.changes === 1;
  }

  /** Creates the first user only while there is none, in one transaction (two setup requests cannot both win). */
  createFirst(user: { username: string; role: Role; passwordHash: string }, now: number): boolean {
    return this.db.transaction(() => this.count() === 0 && this.create(user, now))();
  }

  update(username: string, change: { role?: Role; passwordHash?: string; locked?: boolean; lockedUntil?: number | null }, now: number): boolean {
    const sets: string[] = ['updated_at = @now'];
    const params: Record<string, unknown> = { username, now };
    if (change.role !== undefined) (sets.push('role = @role'), (params.role = change.role));
    if (change.passwordHash !== undefined) (sets.push('password_hash = @hash'), (params.hash = change.passwordHash));
    if (change.locked !== undefined) (sets.push('locked = @locked'), (params.locked = change.locked ? 1 : 0));
    if (change.lockedUntil !== undefined) (sets.push('locked_until = @until'), (params.until = change.lockedUntil));
    return this.db.prepare(`UPDATE users SET ${sets.join(', ')} WHERE username = @username`).run(params).changes === 1;
  }

  loggedIn(username: string, now: number): void {
    this.db.prepare('UPDATE users SET last_login_at = ?, locked_until = NULL WHERE username = ?').run(now, username);
  }

  delete(username: string): boolean {
    return this.db.prepare('DELETE FROM users WHERE username = ?').run(username).changes === 1;
  }

  private row(username: string): Row | undefined {
    return this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as Row | undefined;
  }
}

function fromRow(row: Row): User {
  return {
    username: row.username,
    role: row.role as Role,
    locked: row.locked === 1,
    lockedUntil: row.locked_until ?? undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLoginAt: row.last_login_at ?? undefined,
  };
}
