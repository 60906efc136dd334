// The generic scrubbing provider: a JSON POST to the provider's URL for "divert" and "withdraw", signed so the
// receiver can tell it came from this appliance and is fresh. The signature is HMAC-SHA256 with the shared
// secret over `${timestamp}.${body}` (timestamp in Unix seconds, body the exact bytes sent), in the headers
// X-Breakwater-Timestamp and X-Breakwater-Signature: sha256=<hex>. A receiver recomputes it, compares in
// constant time and refuses timestamps more than a few minutes off. docs/runbooks.md shows a receiver.
import { createHmac } from 'node:crypto';
import { Type, type Static } from '@breakwater/sdk';

export const WebhookSchema = Type.Object(
  {
    url: Type.String({ format: 'uri', description: 'The provider endpoint; https in production.' }),
    secret: Type.String({ minLength: 16, description: 'Shared HMAC secret (at least 16 characters).' }),
    prefixLengthIpv4: Type.Integer({ minimum: 8, maximum: 32, default: 24, description: 'Length of the covering prefix the provider is asked to divert.' }),
    prefixLengthIpv6: Type.Integer({ minimum: 16, maximum: 128, default: 48 }),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 10_000 }),
  },
  { additionalProperties: false },
);

export type WebhookConfig = Static<typeof WebhookSchema>;

export const SIGNATURE_HEADER = 'x-breakwater-signature';
export const TIMESTAMP_HEADER = 'x-breakwater-timestamp';

/** "sha256=<hex>" of HMAC-SHA256(secret, `${timestamp}.${body}`). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export async function postWebhook(config: WebhookConfig, payload: Record<string, unknown>, signal: AbortSignal, now: () => number = Date.now, fetchImpl: typeof fetch = fetch): Promise<void> {
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(now() / 1000);
  const response = await fetchImpl(config.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signWebhook(config.secret, timestamp, body) },
    body,
    signal: AbortSignal.any([signal, AbortSignal.timeout(config.timeoutMs)]),
  });
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    throw new Error(`the scrubbing webhook answered ${payload.action} with HTTP ${response.status}: ${text.slice(0, 200)}`);
  }
  await response.arrayBuffer().catch(() => undefined);
}
