// A configured secret (a webhook URL, an API token, an SMTP password). Once the configuration is loaded, a
// secret is a Secret object, not a string: it prints, logs and serialises as a masked hint ("••••3f9a",
// "https://hooks.slack.com/••••"), so neither a log line, a JSON dump of the configuration, an API answer nor
// the panel can show it in full. The value itself comes out only through reveal(), at the one place that
// hands it to the plugin that sends it. pino additionally redacts the usual secret key names (REDACTED_KEYS)
// in case a plain value is ever logged.
import { inspect } from 'node:util';
import { Type } from '@sinclair/typebox';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The value, for the code that uses it. Never log or return it. */
  reveal(): string {
    return this.#value;
  }

  /** Enough to recognise which secret is configured, never enough to use it. */
  masked(): string {
    try {
      const url = new URL(this.#value);
      if (url.protocol === 'http:' || url.protocol === 'https:') return `${url.protocol}//${url.host}/••••`;
    } catch {
      // Not a URL: a token or a password.
    }
    return this.#value.length >= 16 ? `••••${this.#value.slice(-4)}` : '••••';
  }

  toJSON(): string {
    return this.masked();
  }

  toString(): string {
    return this.masked();
  }

  [inspect.custom](): string {
    return `Secret(${this.masked()})`;
  }
}

/** A secret in the configuration schema: a non-empty string in the file, a Secret once loaded. */
export function SecretString(description: string) {
  return Type.Transform(Type.String({ minLength: 1, description }))
    .Decode((value) => new Secret(value))
    .Encode((secret) => secret.reveal());
}

/**
 * Key names that hold secrets in plugin settings and elsewhere; pino censors them at the top level and two
 * levels down, whatever object they are in.
 */
export const REDACTED_KEYS = ['secrets', 'password', 'md5Password', 'token', 'authToken', 'botToken', 'bearerToken', 'apiKey', 'routingKey', 'webhookUrl', 'secret'];

export const REDACTED_PATHS = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/** Replaces every occurrence of the secrets' values in a text (an error message) with their masked form. */
export function scrubSecrets(text: string, secrets: Iterable<Secret>): string {
  let out = text;
  for (const s of secrets) {
    const value = s.reveal();
    const parts = [value];
    // A URL's token usually sits in its path or query, which an error may quote without the host.
    try {
      const url = new URL(value);
      parts.push(`${url.pathname}${url.search}`);
    } catch {
      // Not a URL.
    }
    // Short values would match ordinary words; no real token is this short.
    for (const part of parts) if (part.length >= 6) out = out.split(part).join(s.masked());
  }
  return out;
}
