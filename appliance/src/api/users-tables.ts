// The `users` namespace of the appliance database (storage/sqlite.ts): accounts of the web panel and REST API,
// their server-side sessions and the API tokens. Secrets are never stored: passwords as argon2id hashes, session
// ids and token secrets as SHA-256 hashes (both are 256-bit random values, so a fast hash is enough).
import { createHash, randomBytes } from 'node:crypto';
import { migrate, type Migration, type SqliteDatabase } from '../storage/sqlite.js';

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE users (
        username TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        locked INTEGER NOT NULL DEFAULT 0,
        locked_until INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        last_login_at INTEGER
      );
      CREATE TABLE users_sessions (
        id_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        client TEXT
      );
      CREATE INDEX users_sessions_user ON users_sessions (username);
      CREATE TABLE users_api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        secret_hash TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL,
        scopes TEXT,
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        last_used_at INTEGER,
        revoked_at INTEGER
      );
    `,
  },
];

export function migrateUsersTables(db: SqliteDatabase): void {
  migrate(db, 'users', MIGRATIONS);
}

/** A 256-bit random secret, base64url. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
