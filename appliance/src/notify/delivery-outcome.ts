// What one delivery attempt came to, read from whatever the channel's plugin call threw: the plugin's own
// DeliveryError (rejected for good, unavailable, rate-limited with a wait) wrapped by the loader as the cause
// of BW_ERR_PLUGIN_HOOK, or the loader's own error (timeout, the plugin unavailable), or anything else. Only a
// DeliveryError that says "rejected" stops the retries early; everything unknown is tried again.
import { isDeliveryError, isPluginError } from '@breakwater/sdk';

export type OutcomeKind = 'delivered' | 'retry' | 'rate-limited' | 'rejected';

export interface FailedOutcome {
  kind: Exclude<OutcomeKind, 'delivered'>;
  code: string;
  message: string;
  status?: number;
  retryAfterMs?: number;
}

export function classifyFailure(err: unknown): FailedOutcome {
  const cause = isPluginError(err, 'BW_ERR_PLUGIN_HOOK') ? (err as Error).cause : err;
  if (isDeliveryError(cause)) {
    const kind = cause.code === 'BW_ERR_NOTIFY_REJECTED' ? 'rejected' : cause.code === 'BW_ERR_NOTIFY_RATE_LIMITED' ? 'rate-limited' : 'retry';
    // An isolated plugin's error crosses as name, message and code only: status and Retry-After may be absent.
    const status = typeof cause.status === 'number' ? cause.status : undefined;
    const retryAfterMs = typeof cause.retryAfterMs === 'number' && cause.retryAfterMs >= 0 ? cause.retryAfterMs : undefined;
    return { kind, code: cause.code, message: cause.message, ...(status !== undefined ? { status } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  if (isPluginError(err)) return { kind: 'retry', code: err.code, message: err.message };
  return { kind: 'retry', code: 'BW_ERR_NOTIFY_UNAVAILABLE', message: err instanceof Error ? err.message : String(err) };
}
