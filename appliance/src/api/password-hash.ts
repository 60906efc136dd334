// Password hashing and the password policy. argon2id from `hash-wasm` (WebAssembly: nothing native to build or
// download; the `argon2` package's prebuilt binary crashed on load on this platform and would need a compiler
// here), with OWASP's first recommended setting: 19 MiB of memory, 2 passes, 1 lane, 16-byte salt, 32-byte hash.
// Hashes run one at a time in their own thread (password-hash-worker.ts) so a login never stalls the event loop
// that intake and detection share; at most MAX_WAITING wait, more are refused as rate limited. The parameters
// are stored in each hash (PHC string), so raising them later only affects new and reset passwords.
import { Worker } from 'node:worker_threads';
import { BreakwaterError } from '../errors.js';
import type { HashReply, HashRequest } from './password-hash-worker.js';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

export const ARGON2_PARAMETERS = { memorySize: 19456, iterations: 2, parallelism: 1, hashLength: 32 } as const;

const MAX_WAITING = 32;

/** Throws BW_ERR_API_PASSWORD_POLICY when the password is too short, too long or the username itself. */
export function checkPasswordPolicy(username: string, password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH) throw new BreakwaterError('BW_ERR_API_PASSWORD_POLICY', [`it has ${password.length} characters; at least ${PASSWORD_MIN_LENGTH} are needed`]);
  if (password.length > PASSWORD_MAX_LENGTH) throw new BreakwaterError('BW_ERR_API_PASSWORD_POLICY', [`it is longer than ${PASSWORD_MAX_LENGTH} characters`]);
  if (password.toLowerCase() === username.toLowerCase()) throw new BreakwaterError('BW_ERR_API_PASSWORD_POLICY', ['it is the username']);
}

let worker: Worker | undefined;
let nextId = 1;
const waiting = new Map<number, { resolve: (v: string | boolean) => void; reject: (e: Error) => void }>();

/** The hash thread: the bundled .js in dist; from the .ts source (tests under tsx) a bootstrap registering tsx first. */
function startWorker(): Worker {
  let w: Worker;
  if (!import.meta.url.endsWith('.ts')) w = new Worker(new URL('./password-hash-worker.js', import.meta.url));
  else {
    const entry = new URL('./password-hash-worker.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    w = new Worker(`import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
  }
  w.on('message', (reply: HashReply) => {
    const pending = waiting.get(reply.id);
    if (pending === undefined) return;
    waiting.delete(reply.id);
    if (waiting.size === 0) w.unref();
    if (reply.error !== undefined) pending.reject(new Error(reply.error));
    else pending.resolve(reply.result!);
  });
  const fail = (err: Error) => {
    if (worker === w) worker = undefined;
    for (const [id, pending] of waiting) {
      waiting.delete(id);
      pending.reject(err);
    }
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the password hash thread exited (${code})`)));
  // Referenced only while a hash is asked for: an idle thread never keeps the process alive.
  w.unref();
  return w;
}

function ask(request: Omit<HashRequest, 'id' | 'params'>): Promise<string | boolean> {
  if (waiting.size >= MAX_WAITING) return Promise.reject(new BreakwaterError('BW_ERR_API_RATE_LIMITED', ['password checks at once', 1], { details: { retryAfterSeconds: 1 } }));
  worker ??= startWorker();
  const id = nextId++;
  const w = worker;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ ...request, id, params: ARGON2_PARAMETERS } satisfies HashRequest);
  });
}

export async function hashPassword(password: string): Promise<string> {
  return (await ask({ op: 'hash', password })) as string;
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return (await ask({ op: 'verify', password, hash })) === true;
  } catch (err) {
    if (err instanceof BreakwaterError) throw err;
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

/** Ends the hash thread (tests; it is unref'd, so a process never waits for it). */
export async function stopPasswordHashing(): Promise<void> {
  const w = worker;
  worker = undefined;
  decoy = undefined;
  await w?.terminate();
}
