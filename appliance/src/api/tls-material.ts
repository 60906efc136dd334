// The API's TLS certificate and key (api.tls): the operator's files, or a self-signed pair made once with the
// openssl CLI into DATADIR/tls/panel.{crt,key} (node:crypto makes keys but not X.509 certificates), named for this
// host and localhost. The appliance image's firstboot makes /etc/breakwater/tls/panel.{crt,key} the same way.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { access, mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BreakwaterError } from '../errors.js';
import type { ApiConfig } from './api-config-schema.js';

export interface ApiTls {
  cert: string;
  key: string;
  /** sha256 fingerprint, "AB:CD:...", for the log line users compare with their browser's. */
  fingerprint: string;
  certFile: string;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

export async function loadApiTls(tls: ApiConfig['tls'], dataDir: string): Promise<ApiTls | undefined> {
  if (tls.mode === 'off') return undefined;
  const certFile = tls.certFile !== '' ? tls.certFile : join(dataDir, 'tls', 'panel.crt');
  const keyFile = tls.keyFile !== '' ? tls.keyFile : join(dataDir, 'tls', 'panel.key');
  if (tls.mode === 'files') return load(certFile, keyFile);
  if ((await exists(certFile)) && (await exists(keyFile))) return load(certFile, keyFile);
  const dir = join(dataDir, 'tls');
  const ownCert = join(dir, 'panel.crt');
  const ownKey = join(dir, 'panel.key');
  if (!((await exists(ownCert)) && (await exists(ownKey)))) await selfSigned(dir, ownCert, ownKey);
  return load(ownCert, ownKey);
}

async function selfSigned(dir: string, certFile: string, keyFile: string): Promise<void> {
  const name = hostname();
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '825',
      '-subj', `/CN=${name}/O=Breakwater appliance`,
      '-addext', `subjectAltName=DNS:${name},DNS:localhost,IP:127.0.0.1,IP:::1`,
      '-keyout', keyFile, '-out', certFile,
    ], { timeout: 20_000 });
  } catch (err) {
    throw new BreakwaterError('BW_ERR_API_TLS', [`openssl could not make a self-signed certificate in ${dir}: ${(err as Error).message}`], { cause: err });
  }
}

async function load(certFile: string, keyFile: string): Promise<ApiTls> {
  try {
    const [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    return { cert, key, fingerprint: new X509Certificate(cert).fingerprint256, certFile };
  } catch (err) {
    throw new BreakwaterError('BW_ERR_API_TLS', [`${certFile} / ${keyFile}: ${(err as Error).message}`], { cause: err });
  }
}
