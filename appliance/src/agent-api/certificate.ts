// The agent API's TLS certificate: self-signed, made once at first start into DATADIR/agent-api/ with the
// openssl CLI (node:crypto makes keys but not X.509 certificates). Agents pin its sha256 fingerprint rather than
// trust a CA, so self-signed is enough; an operator may put their own cert.pem and key.pem there instead.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BreakwaterError } from '../errors.js';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** "AB:CD:..." sha256 of the DER certificate, as agents pin it. */
  fingerprint: string;
}

export async function ensureCertificate(dataDir: string, commonName = 'breakwater-agent-api'): Promise<TlsMaterial> {
  const dir = join(dataDir, 'agent-api');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    return await load(certFile, keyFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new BreakwaterError('BW_ERR_AGENT_CERT', [dir, (err as Error).message], { cause: err });
  }
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650',
      '-subj', `/CN=${commonName}`, '-keyout', keyFile, '-out', certFile,
    ], { timeout: 20_000 });
    return await load(certFile, keyFile);
  } catch (err) {
    throw new BreakwaterError('BW_ERR_AGENT_CERT', [dir, (err as Error).message], { cause: err });
  }
}

async function load(certFile: string, keyFile: string): Promise<TlsMaterial> {
  const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  return { cert, key, fingerprint: new X509Certificate(cert).fingerprint256 };
}
