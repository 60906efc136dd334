import { defineConfig } from 'tsup';

export default defineConfig({
  // The SDK stays external (a peer dependency): the appliance provides the one copy every plugin shares.
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
});
