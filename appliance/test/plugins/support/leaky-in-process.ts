// Run by isolation.test.ts in a process of its own: loads misbehaving-tier in-process, lets it leak a
// rejected promise, engages it again, and prints what happened as JSON. Under Node's default the leaked
// rejection would end this process with exit code 1 before anything is printed.
import { setTimeout as sleep } from 'node:timers/promises';
import { createRecordingFacades, sampleAttack, sampleStage } from '@breakwater/sdk/testing';
import { PluginRegistry } from '../../../src/plugins/registry.js';
import { captureLogger, pluginsConfig } from '../helpers.js';

const fixtures = process.argv[2]!;
const { log, lines } = captureLogger();
const registry = new PluginRegistry({
  settings: pluginsConfig({ directory: fixtures, isolation: 'in-process', hookTimeoutMs: 1_000 }),
  dataDir: fixtures,
  log,
  facades: createRecordingFacades(),
});
await registry.start();
const engaged: string[] = [];
engaged.push((await registry.engage('misbehaving-tier', sampleAttack(), sampleStage({ name: 'leak' }))).id);
await sleep(50);
engaged.push((await registry.engage('misbehaving-tier', sampleAttack(), sampleStage({ name: 'fine' }))).id);
await registry.stop();
process.stdout.write(JSON.stringify({ engaged, logged: lines.filter((l) => l.level >= 50).map((l) => ({ plugin: l.plugin, msg: l.msg })) }) + '\n');
