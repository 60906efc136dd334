// The thread password hashes are computed in (password-hash.ts starts it): argon2id from hash-wasm is
// WebAssembly and runs on the calling thread, so it runs here rather than on the appliance's event loop, where
// ~100 ms per login would stall sFlow intake and detection.
import { randomBytes } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { argon2id, argon2Verify } from 'hash-wasm';

export interface HashRequest {
  id: number;
  op: 'hash' | 'verify';
  password: string;
  /** verify: the stored PHC string. */
  hash?: string;
  params: { memorySize: number; iterations: number; parallelism: number; hashLength: number };
}

export interface HashReply {
  id: number;
  result?: string | boolean;
  error?: string;
}

parentPort!.on('message', (m: HashRequest) => {
  const work =
    m.op === 'hash'
      ? argon2id({ password: m.password, salt: randomBytes(16), ...m.params, outputType: 'encoded' })
      : argon2Verify({ password: m.password, hash: m.hash ?? '' });
  work.then(
    (result) => parentPort!.postMessage({ id: m.id, result } satisfies HashReply),
    (err: unknown) => parentPort!.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) } satisfies HashReply),
  );
});
