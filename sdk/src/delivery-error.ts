// How a notifier says why a delivery failed, so the appliance's outbox knows what to do next: try again
// later with backoff (the provider is down or unreachable), wait as long as the provider asked (it limits
// the rate), or give up at once (the provider refused the message for good: bad credentials, a deleted
// webhook, a payload it will never take). Anything else a notify hook throws counts as "try again".
// The codes are rows of the appliance's error table (docs/errors.md); a test keeps them in step.

export const DELIVERY_ERROR_CODES = ['BW_ERR_NOTIFY_REJECTED', 'BW_ERR_NOTIFY_UNAVAILABLE', 'BW_ERR_NOTIFY_RATE_LIMITED'] as const;

export type DeliveryErrorCode = (typeof DELIVERY_ERROR_CODES)[number];

export interface DeliveryErrorOptions {
  /** The provider's HTTP status (or SMTP reply code), when it answered. */
  status?: number;
  /** How long the provider asked to wait before the next request (Retry-After), in ms. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class DeliveryError extends Error {
  readonly code: DeliveryErrorCode;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: DeliveryErrorCode, message: string, options: DeliveryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryError';
    this.code = code;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * True for a DeliveryError, judged by its fields rather than instanceof, so an error from a plugin that
 * bundles its own copy of the SDK, or one rebuilt from an isolated plugin's message (which keeps the code
 * but not the other fields), is still recognised.
 */
export function isDeliveryError(err: unknown, code?: DeliveryErrorCode): err is DeliveryError {
  if (typeof err !== 'object' || err === null) return false;
  const c = (err as { code?: unknown }).code;
  return typeof c === 'string' && (DELIVERY_ERROR_CODES as readonly string[]).includes(c) && (code === undefined || c === code);
}
