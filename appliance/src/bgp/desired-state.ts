// The desired routing state: every route Breakwater wants announced, with its owner and expiry, persisted
// under the data directory (lowdb over an fsync'ing atomic file). It is the single source of truth the
// reconcile loop drives the daemons towards: after a restart, a kill -9 or a daemon crash the speaker reads
// it back and re-announces exactly this set. Changes are made in memory and then save()d; concurrent saves
// are folded into one write, and a caller's save() resolves only after a write that contains its change.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { BreakwaterError } from '../errors.js';
import { AtomicJsonFile } from './atomic-json-file.js';
import { CoalescingRunner } from './coalescing-runner.js';
import type { DesiredBgpRoute } from './speaker.js';

interface DesiredStateDocument {
  version: 1;
  routes: DesiredBgpRoute[];
}

export class DesiredStateStore {
  private readonly db: Low<DesiredStateDocument>;
  private readonly routes = new Map<string, DesiredBgpRoute>();
  private readonly writer: CoalescingRunner;

  constructor(readonly path: string) {
    this.db = new Low(new AtomicJsonFile<DesiredStateDocument>(path), { version: 1, routes: [] });
    this.writer = new CoalescingRunner(async () => {
      this.db.data = { version: 1, routes: [...this.routes.values()] };
      await this.db.write();
    });
  }

  async load(): Promise<void> {
    try {
      await mkdir(dirname(this.path), { recursive: true, mode: 0o750 });
      await this.db.read();
    } catch (err) {
      throw new BreakwaterError('BW_ERR_BGP_STATE', [this.path, (err as Error).message], { cause: err });
    }
    this.routes.clear();
    for (const route of this.db.data.routes ?? []) this.routes.set(route.id, route);
  }

  all(): DesiredBgpRoute[] {
    return [...this.routes.values()];
  }

  get size(): number {
    return this.routes.size;
  }

  get(id: string): DesiredBgpRoute | undefined {
    return this.routes.get(id);
  }

  put(route: DesiredBgpRoute): void {
    this.routes.set(route.id, route);
  }

  remove(id: string): DesiredBgpRoute | undefined {
    const route = this.routes.get(id);
    this.routes.delete(id);
    return route;
  }

  removeOwner(owner: string): DesiredBgpRoute[] {
    const removed = [...this.routes.values()].filter((r) => r.owner === owner);
    for (const r of removed) this.routes.delete(r.id);
    return removed;
  }

  /** Removes and returns the routes whose expiry is at or before `now`. */
  takeExpired(now: number): DesiredBgpRoute[] {
    const expired = [...this.routes.values()].filter((r) => r.expiresAt !== null && r.expiresAt <= now);
    for (const r of expired) this.routes.delete(r.id);
    return expired;
  }

  /** The earliest expiry among desired routes, or null. */
  nextExpiry(): number | null {
    let next: number | null = null;
    for (const r of this.routes.values()) if (r.expiresAt !== null && (next === null || r.expiresAt < next)) next = r.expiresAt;
    return next;
  }

  async save(): Promise<void> {
    try {
      await this.writer.run();
    } catch (err) {
      throw new BreakwaterError('BW_ERR_BGP_STATE', [this.path, (err as Error).message], { cause: err });
    }
  }
}
