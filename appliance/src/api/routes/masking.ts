// Secrets never leave the API in full: configured Secret objects print as their masked hint, and plain strings
// under a secret's key name (an md5Password, a plugin's token in its settings) are masked the same way. A
// masked value sent back in a change means "keep the secret that is configured".
import { REDACTED_KEYS, Secret } from '../../config/secret.js';
import { BreakwaterError } from '../../errors.js';

/**
 * Whether a key names a secret: pino's list (config/secret.ts) and anything that says token, secret, password,
 * credential or key in its name (a plugin's `apiToken`, `privateKey`), whatever the plugin calls it.
 */
export function isSecretKey(key: string): boolean {
  return REDACTED_KEYS.includes(key) || /token|secret|passw|passphrase|credential|apikey|api_key|privatekey|private_key/i.test(key);
}

/** A deep copy with every secret masked. */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (value instanceof Secret) return value.masked();
  if (typeof value === 'string') return isSecretKey(key) ? new Secret(value).masked() : value;
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

/**
 * The sent value with every masked string replaced by the value at the same place in `configured` (what the
 * file holds). Throws BW_ERR_API_VALIDATION, naming the path, for a masked string with nothing configured there.
 */
export function restoreMasked(sent: unknown, configured: unknown, path: string): unknown {
  if (isMasked(sent)) {
    if (typeof configured === 'string') return configured;
    throw new BreakwaterError('BW_ERR_API_VALIDATION', [`${path} is masked but no such secret is configured: send the value`], { details: { problems: [{ path, message: 'masked, and nothing configured to keep' }] } });
  }
  if (Array.isArray(sent)) return sent.map((v, i) => restoreMasked(v, Array.isArray(configured) ? configured[i] : undefined, `${path}/${i}`));
  if (sent !== null && typeof sent === 'object') {
    const before = configured !== null && typeof configured === 'object' ? (configured as Record<string, unknown>) : {};
    return Object.fromEntries(Object.entries(sent).map(([k, v]) => [k, restoreMasked(v, before[k], `${path}/${k}`)]));
  }
  return sent;
}
