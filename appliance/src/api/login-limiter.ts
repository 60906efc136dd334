// Login throttling, in memory: attempts per client address within a window (BW_ERR_API_RATE_LIMITED), and wrong
// passwords per username within a window, which lock the account for a while (BW_ERR_API_LOCKED; the lock
// itself is stored on the user, so it survives a restart). Bounded: at most MAX_KEYS addresses and users are
// tracked; the oldest are forgotten first.

export interface LoginLimits {
  maxFailures: number;
  failureWindowSeconds: number;
  lockoutSeconds: number;
  maxAttemptsPerIp: number;
  ipWindowSeconds: number;
}

const MAX_KEYS = 10_000;

class SlidingCounts {
  private readonly times = new Map<string, number[]>();

  /** Times within the window, oldest first, after dropping older ones. */
  recent(key: string, now: number, windowMs: number): number[] {
    const list = this.times.get(key);
    if (list === undefined) return [];
    while (list.length > 0 && list[0]! <= now - windowMs) list.shift();
    if (list.length === 0) this.times.delete(key);
    return list;
  }

  add(key: string, now: number, windowMs: number, keep: number): number {
    const list = this.recent(key, now, windowMs);
    list.push(now);
    if (list.length > keep) list.shift();
    this.times.delete(key);
    this.times.set(key, list);
    if (this.times.size > MAX_KEYS) this.times.delete(this.times.keys().next().value!);
    return list.length;
  }

  clear(key: string): void {
    this.times.delete(key);
  }
}

export class LoginLimiter {
  private readonly byIp = new SlidingCounts();
  private readonly failuresByUser = new SlidingCounts();

  constructor(private readonly limits: () => LoginLimits) {}

  /** Counts one attempt from `ip`; returns the seconds to wait when over the limit, else 0. */
  attempt(ip: string, now: number): number {
    const { maxAttemptsPerIp, ipWindowSeconds } = this.limits();
    const windowMs = ipWindowSeconds * 1000;
    const recent = this.byIp.recent(ip, now, windowMs);
    if (recent.length >= maxAttemptsPerIp) return Math.max(1, Math.ceil((recent[0]! + windowMs - now) / 1000));
    this.byIp.add(ip, now, windowMs, maxAttemptsPerIp);
    return 0;
  }

  /** Counts a wrong password; returns the lockout end (ms) when this failure reaches the limit. */
  failed(username: string, now: number): number | undefined {
    const { maxFailures, failureWindowSeconds, lockoutSeconds } = this.limits();
    const n = this.failuresByUser.add(username, now, failureWindowSeconds * 1000, maxFailures);
    if (n < maxFailures) return undefined;
    this.failuresByUser.clear(username);
    return now + lockoutSeconds * 1000;
  }

  succeeded(username: string): void {
    this.failuresByUser.clear(username);
  }
}
