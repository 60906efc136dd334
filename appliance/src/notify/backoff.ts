// When to try a failed delivery again, and when to stop. Exponential backoff with jitter (each failure
// doubles the delay, up to a cap; the delay is drawn from its upper half, so channels that failed together do
// not retry in lock-step), except that a provider's own Retry-After is what we wait when it gives one. A
// delivery is given up after maxAttempts attempts, or when the next attempt would come later than maxAge
// after the event: an alert that arrives hours late helps no one. `random` is injectable for tests.

export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  maxAgeMs: number;
}

/** A Retry-After of 0 (or a past date) still waits this long, so a confused provider cannot make us spin. */
export const MIN_RETRY_AFTER_MS = 1_000;

export type RetryDecision = { retryAt: number; delayMs: number } | { giveUp: 'attempts' | 'age' };

/** The backoff delay after the nth failed attempt (n ≥ 1). */
export function backoffDelay(failures: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(failures - 1, 40));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function nextRetry(
  state: { attempts: number; createdAt: number; now: number; retryAfterMs?: number | undefined },
  policy: RetryPolicy,
  random: () => number,
): RetryDecision {
  if (state.attempts >= policy.maxAttempts) return { giveUp: 'attempts' };
  const delayMs = state.retryAfterMs !== undefined ? Math.max(MIN_RETRY_AFTER_MS, state.retryAfterMs) : backoffDelay(state.attempts, policy, random);
  const retryAt = state.now + delayMs;
  if (retryAt > state.createdAt + policy.maxAgeMs) return { giveUp: 'age' };
  return { retryAt, delayMs };
}
