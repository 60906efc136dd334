// Secrets never leave the API in full: configured Secret objects print as their masked hint, and plain strings
// under a secret's key name (an md5Password, a plugin's token in its settings) are masked the same way. A
// masked value sent back in a change means "keep the secret that is configured".
import { REDACTED_KEYS, Secret } from '../../config/secret.js';

/** A deep copy with every secret masked. */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (value instanceof Secret) return value.masked();
  if (typeof value === 'string') return REDACTED_KEYS.includes(key) ? new Secret(value).masked() : value;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = key === 'secrets' ? maskSecrets(v, 'secret') : maskSecrets(v, k);
    return out;
  }
  return value;
}

/** Whether a value sent back is a masked hint (keep the configured secret) rather than a new secret. */
export function isMasked(value: unknown): boolean {
  return typeof value === 'string' && value.includes('••••');
}
