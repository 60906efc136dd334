// Password hashing and the password policy. argon2id through the `argon2` package (its npm tarball ships
// prebuilt binaries, so nothing is downloaded or compiled at install), with OWASP's first recommended setting:
// 19 MiB of memory, 2 passes, 1 lane (about 50 ms on one core here). The parameters are stored in each hash
// (PHC string), so raising them later only affects new and reset passwords.
import argon2 from 'argon2';
import { BreakwaterError } from '../errors.js';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

export const ARGON2_PARAMETERS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Throws BW_ERR_API_PASSWORD_POLICY when the password is too short, too long or the username itself. */
export function checkPasswordPolicy(username: string, password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH) throw new BreakwaterError('BW_ERR_API_PASSWORD_POLICY', [`it has ${password.length} characters; at least ${PASSWORD_MIN_LENGTH} are needed`]);
  if (password.length > PASSWORD_MAX_LENGTH) throw new BreakwaterError('BW_ERR_API_PASSWORD_POLICY', [`it is longer than ${PASSWORD_MAX_LENGTH} characters`]);
  if (password.toLowerCase() === username.toLowerCase()) throw new BreakwaterError('BW_ERR_API_PASSWORD_POLICY', ['it is the username']);
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_PARAMETERS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let decoy: Promise<string> | undefined;

/** Spends the time of one verification for a username that does not exist, so timing does not tell them apart. */
export async function verifyNothing(password: string): Promise<false> {
  decoy ??= hashPassword('breakwater-decoy-password');
  await verifyPassword(await decoy, password);
  return false;
}
