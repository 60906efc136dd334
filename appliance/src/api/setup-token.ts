// The one-time setup token that lets the first administrator be created (POST /api/v1/setup). It lives in
// DATADIR/setup-token (mode 0600): the appliance image's firstboot writes one and prints it on the console
// banner; otherwise the API makes one at its first start with no users. Creating the first administrator deletes
// the file and writes DATADIR/setup-complete. There is never a default password.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

export const SETUP_TOKEN_FILE = 'setup-token';
export const SETUP_COMPLETE_FILE = 'setup-complete';

export function setupTokenPath(dataDir: string): string {
  return join(dataDir, SETUP_TOKEN_FILE);
}

/** The token in DATADIR/setup-token, made (in the firstboot's format) when the file is missing or empty. */
export async function ensureSetupToken(dataDir: string): Promise<{ token: string; created: boolean }> {
  const file = setupTokenPath(dataDir);
  const existing = await readFile(file, 'utf8').then((t) => t.trim(), () => '');
  if (existing !== '') return { token: existing, created: false };
  const token = randomBytes(20).toString('hex').replace(/(.{8})(?!$)/g, '$1-');
  await writeFile(`${file}.new`, `${token}\n`, { mode: 0o600 });
  await rename(`${file}.new`, file);
  return { token, created: true };
}

/** Compares in constant time (hashes first, so lengths do not leak either). */
export function setupTokenMatches(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given.trim()).digest();
  return timingSafeEqual(a, b);
}

export async function completeSetup(dataDir: string, now: number): Promise<void> {
  await rm(setupTokenPath(dataDir), { force: true });
  await writeFile(join(dataDir, SETUP_COMPLETE_FILE), `${new Date(now).toISOString()}\n`, { mode: 0o640 });
}
