import { defineConfig } from 'tsup';

export default defineConfig({
  // One file per package export; attack and flowspec-rule hold the message types the appliance re-exports.
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts', notify: 'src/notify/index.ts', attack: 'src/attack.ts', 'flowspec-rule': 'src/flowspec-rule.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: true,
});
