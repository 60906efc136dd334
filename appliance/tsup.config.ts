import { defineConfig } from 'tsup';

export default defineConfig({
  // intake-worker: the sFlow decoder worker process (sflow.workers > 0), forked by src/intake/sflow-intake.ts.
  // receive-thread: an sFlow receive thread (sflow.receiveThreads), started by src/intake/receive-threads.ts.
  // plugin-child: the process an isolated plugin runs in, spawned by src/plugins/child-process-plugin.ts.
  // password-hash-worker: the thread the REST API hashes passwords in, started by src/api/password-hash.ts.
  // detection-thread: detection in a thread of its own (detection.thread), started by src/detection/detection-thread.ts.
  entry: { cli: 'src/cli/main.ts', index: 'src/index.ts', 'intake-worker': 'src/intake/decoder-worker.ts', 'receive-thread': 'src/intake/receive-thread.ts', 'plugin-child': 'src/plugins/child-entry.ts', 'password-hash-worker': 'src/api/password-hash-worker.ts', 'detection-thread': 'src/detection/detection-thread-worker.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: true,
  banner: ({ format }) => (format === 'esm' ? { js: '' } : {}),
});
