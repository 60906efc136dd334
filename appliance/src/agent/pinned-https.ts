// HTTPS to the appliance with its certificate pinned by sha256 fingerprint instead of a CA chain (the agent API's
// certificate is self-signed). The TLS handshake is finished and the fingerprint compared before a single byte
// of the request — which carries the token — is written; only then does node:http speak over that socket.
import http from 'node:http';
import tls from 'node:tls';
import { BreakwaterError } from '../errors.js';

export interface PinnedRequest {
  url: URL;
  method: 'GET' | 'POST';
  token: string;
  body?: unknown;
  /** The pinned fingerprint ("AB:CD:..."); undefined: accept any and report it (trust on first use). */
  fingerprint: string | undefined;
  timeoutMs?: number;
}

export interface PinnedResponse {
  status: number;
  body: unknown;
  /** The fingerprint the appliance presented. */
  fingerprint: string;
}

export async function pinnedRequest(req: PinnedRequest): Promise<PinnedResponse> {
  const timeoutMs = req.timeoutMs ?? 10_000;
  const where = req.url.origin;
  const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
    const s = tls.connect({ host: req.url.hostname.replace(/^\[|\]$/g, ''), port: Number(req.url.port || 443), rejectUnauthorized: false, timeout: timeoutMs });
    s.once('secureConnect', () => resolve(s));
    s.once('timeout', () => s.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    s.once('error', (err) => reject(new BreakwaterError('BW_ERR_AGENT_UNREACHABLE', [where, err.message], { cause: err })));
  });
  const seen = socket.getPeerCertificate().fingerprint256 ?? '';
  if (req.fingerprint !== undefined && normalise(seen) !== normalise(req.fingerprint)) {
    socket.destroy();
    throw new BreakwaterError('BW_ERR_AGENT_TLS', [where, seen, req.fingerprint]);
  }
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
  return new Promise<PinnedResponse>((resolve, reject) => {
    const r = http.request(
      {
        method: req.method,
        path: req.url.pathname + req.url.search,
        host: req.url.host,
        createConnection: () => socket,
        headers: {
          authorization: `Bearer ${req.token}`,
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (s: string) => {
          text += s;
        });
        res.once('end', () => {
          socket.destroy();
          let body: unknown = undefined;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode ?? 0, body, fingerprint: seen });
        });
      },
    );
    r.once('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.once('error', (err) => {
      socket.destroy();
      reject(new BreakwaterError('BW_ERR_AGENT_UNREACHABLE', [where, err.message], { cause: err }));
    });
    r.end(payload);
  });
}

export function normalise(fingerprint: string): string {
  return fingerprint.replace(/[^0-9a-f]/gi, '').toUpperCase();
}
