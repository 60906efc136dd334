// The appliance's one SQLite database file (DATADIR/breakwater.sqlite) and how every module opens it: WAL
// journal, synchronous=FULL, a busy timeout, and migrations per namespace. Each owner keeps its tables under its
// own prefix (audit_*, mitigation_*, notify_*, ...) and its own migration list; this module owns only the file,
// the pragmas and the bookkeeping table `storage_migrations`, never another module's tables.
//
// Why FULL rather than NORMAL: in WAL mode NORMAL survives a crash of the process but can lose the last
// transactions on power loss or a kernel crash. What is written here (the audit trail, the mitigation state
// that says which routes exist and why) must agree with the BGP desired-state file, which the speaker fsyncs on
// every change; a transaction lost to a power cut would leave an announced route nobody remembers. Writes are
// few (decisions and actions, not samples), so one fsync per commit costs nothing that matters.
//
// Handles are shared per path within the process: the first open() opens the file, the last release() closes
// it, so modules with different lifetimes can use one connection without knowing of each other.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { BreakwaterError } from '../errors.js';

export type SqliteDatabase = Database.Database;
/** A prepared statement taking positional parameters (for statements a store prepares once and keeps). */
export type SqliteStatement = Database.Statement<unknown[]>;

/** The database file under a data directory. */
export const DATABASE_FILE_NAME = 'breakwater.sqlite';

export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE_NAME);
}

/** One schema change of one namespace. Versions start at 1 and only ever grow; a released one never changes. */
export interface Migration {
  version: number;
  /** SQL run in the migration's transaction. */
  up: string;
}

export interface DatabaseHandle {
  readonly db: SqliteDatabase;
  readonly path: string;
  /** Drops this user's claim; the file is closed when the last user releases it. */
  release(): void;
}

interface Shared {
  db: SqliteDatabase;
  users: number;
}

const open = new Map<string, Shared>();

/** Opens (or shares) the database at `path`, creating its directory. Throws BW_ERR_STORAGE. */
export function openDatabase(path: string, options: { readonly?: boolean } = {}): DatabaseHandle {
  const key = `${resolve(path)}${options.readonly ? '#ro' : ''}`;
  let shared = open.get(key);
  if (shared === undefined) {
    let db: SqliteDatabase;
    try {
      if (!options.readonly) mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
      db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
      // A writer elsewhere (the running appliance, while `breakwater audit` reads) holds the lock briefly.
      db.pragma('busy_timeout = 5000');
      if (!options.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = FULL');
        db.pragma('foreign_keys = ON');
        db.exec('CREATE TABLE IF NOT EXISTS storage_migrations (namespace TEXT NOT NULL, version INTEGER NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (namespace, version))');
      }
    } catch (err) {
      throw new BreakwaterError('BW_ERR_STORAGE', [path, (err as Error).message], { cause: err });
    }
    shared = { db, users: 0 };
    open.set(key, shared);
  }
  shared.users++;
  const entry = shared;
  let released = false;
  return {
    db: entry.db,
    path,
    release() {
      if (released) return;
      released = true;
      entry.users--;
      if (entry.users === 0) {
        open.delete(key);
        entry.db.close();
      }
    },
  };
}

/**
 * Brings one namespace's tables up to its latest version, each migration in its own transaction. Refuses a
 * database whose namespace is newer than this code knows (a downgrade would misread it).
 */
export function migrate(db: SqliteDatabase, namespace: string, migrations: readonly Migration[]): void {
  const current = (db.prepare('SELECT MAX(version) AS v FROM storage_migrations WHERE namespace = ?').get(namespace) as { v: number | null }).v ?? 0;
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > latest) {
    throw new BreakwaterError('BW_ERR_STORAGE', [db.name, `its ${namespace} tables are at version ${current}, newer than this release knows (${latest}): run the newer release or restore a backup`]);
  }
  const record = db.prepare('INSERT INTO storage_migrations (namespace, version, applied_at) VALUES (?, ?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    try {
      db.transaction(() => {
        db.exec(m.up);
        record.run(namespace, m.version, Date.now());
      })();
    } catch (err) {
      throw new BreakwaterError('BW_ERR_STORAGE', [db.name, `${namespace} migration ${m.version} failed: ${(err as Error).message}`], { cause: err });
    }
  }
}

/** Whether the database has a table of that name (a reader opening it read-only cannot migrate; it checks). */
export function hasTable(db: SqliteDatabase, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}
