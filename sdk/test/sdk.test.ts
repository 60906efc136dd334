import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  PLUGIN_API_VERSION,
  PluginError,
  SDK_VERSION,
  Type,
  checkPluginConfig,
  defineNotifier,
  defineTier,
  isPluginError,
  type PluginConfigSchema,
} from '@breakwater/sdk';

test('SDK_VERSION is the package version (the appliance checks plugins\' ranges against it)', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(SDK_VERSION, pkg.version);
  assert.equal(PLUGIN_API_VERSION, 1);
});

test('defineTier and defineNotifier return frozen plain definitions with their kind', () => {
  const tier = defineTier({ name: 't', apiVersion: 1, configSchema: Type.Object({}), create: () => ({ engage: () => ({ id: 'x', summary: '' }), disengage: () => {} }) });
  const notifier = defineNotifier({ name: 'n', apiVersion: 1, configSchema: { type: 'object' }, create: () => ({ notify: () => {} }) });
  assert.equal(tier.kind, 'tier');
  assert.equal(notifier.kind, 'notifier');
  assert.ok(Object.isFrozen(tier) && Object.isFrozen(notifier));
});

const webhook = Type.Object(
  {
    url: Type.String({ format: 'uri' }),
    timeoutMs: Type.Integer({ minimum: 1, default: 2000 }),
    events: Type.Array(Type.Union([Type.Literal('attack.started'), Type.Literal('attack.ended')]), { default: ['attack.started'] }),
  },
  { additionalProperties: false },
);
const plainJsonSchema = { type: 'object', properties: { channel: { type: 'string', default: '#noc' } }, additionalProperties: false };

const configCases: { name: string; schema: PluginConfigSchema; input: unknown; expected: { config: unknown } | { paths: string[] } }[] = [
  { name: 'TypeBox: defaults filled in', schema: webhook, input: { url: 'https://hooks.example.net/a' }, expected: { config: { url: 'https://hooks.example.net/a', timeoutMs: 2000, events: ['attack.started'] } } },
  { name: 'TypeBox: format and type problems, each with its path', schema: webhook, input: { url: 'nope', timeoutMs: 0 }, expected: { paths: ['/url', '/timeoutMs'] } },
  { name: 'TypeBox: unknown key refused when the schema says so', schema: webhook, input: { url: 'https://a.example', token: 'x' }, expected: { paths: ['/'] } },
  { name: 'TypeBox: missing required key', schema: webhook, input: undefined, expected: { paths: ['/'] } },
  { name: 'plain JSON Schema: defaults', schema: plainJsonSchema, input: {}, expected: { config: { channel: '#noc' } } },
  { name: 'plain JSON Schema: wrong type', schema: plainJsonSchema, input: { channel: 5 }, expected: { paths: ['/channel'] } },
];

for (const c of configCases) {
  test(`checkPluginConfig: ${c.name}`, () => {
    const input = structuredClone(c.input);
    const result = checkPluginConfig(c.schema, input);
    assert.deepEqual(input, c.input, 'the input is not changed');
    if ('config' in c.expected) {
      assert.ok(result.ok, JSON.stringify(result));
      assert.deepEqual(result.config, c.expected.config);
    } else {
      assert.ok(!result.ok);
      assert.deepEqual([...new Set(result.problems.map((p) => p.path))], c.expected.paths);
    }
  });
}

test('checkPluginConfig: a schema checked again (its validator is compiled once) answers each input on its own', () => {
  const bad = checkPluginConfig(webhook, { url: 'nope' });
  const good = checkPluginConfig(webhook, { url: 'https://hooks.example.net/a', timeoutMs: 5 });
  const badAgain = checkPluginConfig(webhook, { url: 'https://hooks.example.net/a', timeoutMs: 0 });
  assert.ok(!bad.ok && !badAgain.ok);
  assert.deepEqual(bad.problems.map((p) => p.path), ['/url']);
  assert.deepEqual(badAgain.problems.map((p) => p.path), ['/timeoutMs']);
  assert.deepEqual(good, { ok: true, config: { url: 'https://hooks.example.net/a', timeoutMs: 5, events: ['attack.started'] } });
  // Two plugins' schemas with the same $id do not share a validator.
  const first = { $id: 'settings', type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
  const second = { $id: 'settings', type: 'object', properties: { b: { type: 'integer' } }, required: ['b'] };
  assert.ok(checkPluginConfig(first, { a: 'x' }).ok);
  assert.ok(checkPluginConfig(second, { b: 1 }).ok);
  assert.ok(!checkPluginConfig(second, { a: 'x' }).ok);
});

test('isPluginError recognises a PluginError by its fields, also from another copy of the SDK', () => {
  const own = new PluginError('BW_ERR_PLUGIN_HOOK', 'boom', { plugin: 'p', hook: 'engage', cause: new Error('inner') });
  assert.equal((own.cause as Error).message, 'inner');
  assert.ok(isPluginError(own, 'BW_ERR_PLUGIN_HOOK'));
  assert.ok(!isPluginError(own, 'BW_ERR_PLUGIN_TIMEOUT'));
  const foreign = Object.assign(new Error('x'), { code: 'BW_ERR_PLUGIN_TIMEOUT', plugin: 'p', hook: 'notify' });
  assert.ok(isPluginError(foreign, 'BW_ERR_PLUGIN_TIMEOUT'));
  assert.ok(!isPluginError(Object.assign(new Error('x'), { code: 'BW_ERR_CONFIG_INVALID', plugin: 'p', hook: 'x' })));
  assert.ok(!isPluginError('BW_ERR_PLUGIN_HOOK'));
});
