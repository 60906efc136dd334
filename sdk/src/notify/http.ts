// The one HTTP request a notifier makes per delivery, with the provider's answer turned into what the
// outbox acts on: a 2xx is delivered; 429 is a rate limit (with the provider's Retry-After); 408, 5xx and
// network failures are "try again later"; any other answer is a refusal that no retry will change. The
// error message names the provider and its answer, never the URL, which often carries the secret token.
import { DeliveryError } from '../delivery-error.js';

export interface ProviderRequest {
  /** For messages: "Slack", "PagerDuty", ... */
  provider: string;
  url: string | URL;
  method?: 'POST' | 'PUT';
  headers?: Record<string, string>;
  body: string;
  signal: AbortSignal;
  /** Clock for an HTTP-date Retry-After (default Date.now). */
  now?: () => number;
}

export interface ProviderResponse {
  status: number;
  headers: Headers;
  /** The body as text (at most 64 KiB of it). */
  text: string;
}

const MAX_BODY = 65_536;

/** Sends one request; resolves on 2xx, rejects with a DeliveryError otherwise (or the signal's reason). */
export async function sendToProvider(request: ProviderRequest): Promise<ProviderResponse> {
  let res: Response;
  try {
    // A webhook that redirects is misconfigured: following it could send the message (and its signature)
    // somewhere else, so a 3xx is reported instead.
    res = await fetch(request.url, { method: request.method ?? 'POST', headers: request.headers ?? {}, body: request.body, signal: request.signal, redirect: 'manual' });
  } catch (err) {
    if (request.signal.aborted) throw request.signal.reason;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new DeliveryError('BW_ERR_NOTIFY_UNAVAILABLE', `${request.provider} unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`, { cause: err });
  }
  const text = await readText(res, request.signal);
  if (res.status >= 200 && res.status < 300) return { status: res.status, headers: res.headers, text };
  throw responseError(request.provider, res.status, res.headers, text, request.now ?? Date.now);
}

/** The DeliveryError for a non-2xx answer. Exported for providers whose errors come in a 200 body. */
export function responseError(provider: string, status: number, headers: Headers, body: string, now: () => number = Date.now, retryAfterMs?: number): DeliveryError {
  const wait = retryAfterMs ?? parseRetryAfter(headers.get('retry-after'), now());
  const detail = body.replace(/\s+/g, ' ').trim().slice(0, 300);
  const message = `${provider} answered ${status}${detail === '' ? '' : `: ${detail}`}`;
  const options = { status, ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
  if (status === 429) return new DeliveryError('BW_ERR_NOTIFY_RATE_LIMITED', message, options);
  if (status === 408 || status >= 500) return new DeliveryError('BW_ERR_NOTIFY_UNAVAILABLE', message, options);
  return new DeliveryError('BW_ERR_NOTIFY_REJECTED', message, options);
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from now; undefined if absent or bad. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Some providers send fractions ("1.5"); take them at their word.
  if (/^\d+\.\d+$/.test(text)) return Math.ceil(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** The value of an HTTP Basic Authorization header. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

async function readText(res: Response, signal: AbortSignal): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_BODY) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    // The status is what matters; a body cut off mid-way is reported as far as it came.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY);
}
