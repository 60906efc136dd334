// The client against a real BIRD 2 started by this test (bird -f -c CONF -s SOCK): status, protocols,
// static IPv4/IPv6 routes, FlowSpec in flowtab4/flowtab6, configure check/soft/timeout, protocol
// actions with echoed log lines, and the socket going away under the client (restart, SIGKILL).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BirdError, createBirdClient, type BirdClient } from '../src/index.js';
import {
  birdUnavailableReason,
  eventually,
  makeTempDir,
  removeTempDir,
  startBird,
  type BirdDaemon,
} from './helpers/bird.js';
import { rtbhRoutesFile, staticBirdConfig } from './helpers/configs.js';

function isError(code: BirdError['code'], extra: (err: BirdError) => boolean = () => true) {
  return (err: unknown) => err instanceof BirdError && err.code === code && extra(err);
}

describe('birdc against a real BIRD 2 with static and FlowSpec routes', { skip: birdUnavailableReason() }, () => {
  let dir: string;
  let routesFile: string;
  let bird: BirdDaemon | undefined;
  let client: BirdClient;

  before(async () => {
    dir = makeTempDir('static');
    routesFile = join(dir, 'rtbh-routes.conf');
    writeFileSync(routesFile, rtbhRoutesFile(['192.0.2.66/32']));
    bird = await startBird({ dir, name: 'static', config: staticBirdConfig(routesFile) });
    client = createBirdClient({
      socketPath: bird.socketPath,
      commandTimeoutMs: 5_000,
      reconnectMinDelayMs: 20,
      reconnectMaxDelayMs: 200,
    });
  });

  after(async () => {
    try {
      await client?.close();
    } finally {
      try {
        await bird?.stop();
      } finally {
        if (dir) removeTempDir(dir);
      }
    }
  });

  it('reads the greeting and show status', async () => {
    const { version } = await client.connect();
    assert.match(version, /^2\.\d+\.\d+/);
    const status = await client.showStatus();
    assert.equal(status.version, version);
    assert.equal(status.routerId, '198.18.0.1');
    assert.equal(status.message, 'Daemon is up and running');
    assert.match(status.serverTime, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    assert.match(status.lastReboot, /^\d{4}-\d{2}-\d{2} /);
  });

  it('lists protocols, and one protocol with its channel details', async () => {
    const rows = await client.showProtocols();
    assert.deepEqual(
      rows.map((r) => `${r.name}/${r.proto}/${r.table}/${r.state}`),
      [
        'device1/Device/---/up',
        'st4/Static/t4/up',
        'st6/Static/t6/up',
        'bw_flow4/Static/flowtab4/up',
        'bw_flow6/Static/flowtab6/up',
        'bw_rtbh4/Static/t4/up',
      ],
    );
    const flow = await client.showProtocol('bw_flow4', { all: true });
    assert.equal(flow.state, 'up');
    assert.deepEqual(
      flow.details.channels.map((c) => [c.name, c.table, c.state, c.routes?.imported]),
      [['flow4', 'flowtab4', 'UP', 1]],
    );
    const brief = await client.showProtocol('st4');
    assert.equal(brief.table, 't4');
  });

  it('reads a static route table, with attributes when asked for all', async () => {
    const routes = await client.showRoutes({ table: 't4' });
    assert.deepEqual(
      routes.map((r) => `${r.network} ${r.dest} ${r.protocol}${r.primary ? ' *' : ''}`).sort(),
      [
        '192.0.2.66/32 blackhole bw_rtbh4 *',
        '198.51.100.0/24 blackhole st4 *',
        '203.0.113.0/24 unreachable st4 *',
        '203.0.113.10/32 blackhole st4 *',
      ],
    );
    assert.ok(routes.every((r) => r.bgp === undefined && r.type === undefined));
    const [rtbh] = await client.showRoutes({ table: 't4', prefix: '203.0.113.10/32', all: true });
    assert.equal(rtbh!.type, 'static univ');
    assert.deepEqual(rtbh!.bgp?.communities, [[65535, 666]]);
    const longest = await client.showRoutes({ table: 't4', for: '203.0.113.99' });
    assert.deepEqual(longest.map((r) => r.network), ['203.0.113.0/24']);
    const byProtocol = await client.showRoutes({ table: 't4', protocol: 'bw_rtbh4', primary: true });
    assert.deepEqual(byProtocol.map((r) => r.network), ['192.0.2.66/32']);
    // BIRD answers "8001 Network not found"; for a lookup that is an empty answer, not an error.
    assert.deepEqual(await client.showRoutes({ table: 't4', for: '192.0.2.200' }), []);
    const [v6] = await client.showRoutes({ table: 't6' });
    assert.equal(v6!.network, '2001:db8:66::/48');
  });

  it('reads FlowSpec rules with the traffic-rate extended community', async () => {
    const [flow4] = await client.showRoutes({ table: 'flowtab4', all: true });
    assert.deepEqual(flow4!.flow, {
      family: 'flow4',
      rule: 'dst 203.0.113.10/32; proto 17; sport 53; length 200..1500;',
    });
    assert.equal(flow4!.protocol, 'bw_flow4');
    assert.deepEqual(
      flow4!.bgp?.extCommunities.map((c) => [c.kind, c.first, c.second]),
      [['generic', 0x80060000, 0]],
    );
    const [flow6] = await client.showRoutes({ table: 'flowtab6', all: true });
    assert.equal(flow6!.flow?.family, 'flow6');
    assert.match(flow6!.flow!.rule, /^dst 2001:db8:66::1\/128;/);
  });

  it('counts routes per table and in total', async () => {
    assert.deepEqual(await client.countRoutes('t4'), {
      matched: 4,
      routes: 4,
      networks: 4,
      tables: [{ table: 't4', matched: 4, routes: 4, networks: 4 }],
    });
    assert.equal((await client.countRoutes('t4', { protocol: 'st4' })).matched, 3);
    const all = await client.countRoutes();
    assert.ok(all.tables.some((t) => t.table === 'flowtab4' && t.routes === 1));
    const raw = await client.command('show route table flowtab4 count');
    assert.deepEqual(raw, [
      { code: 1007, text: '1 of 1 routes for 1 networks in table flowtab4' },
      { code: 0, text: '' },
    ]);
  });

  it('configure check: OK for the running config, 8002 with the line number for a broken one', async () => {
    const ok = await client.configure({ check: true });
    assert.equal(ok.status, 'ok');
    assert.equal(ok.file, bird!.configPath);

    const good = staticBirdConfig(routesFile);
    const badFile = join(dir, 'bad.conf');
    writeFileSync(badFile, `${good}protocol static broken {\n  ipv4;\n  route 192.0.2.0/24 via;\n}\n`);
    const brokenLine = good.split('\n').length - 1 + 3;
    await assert.rejects(
      client.configure({ check: true, file: badFile }),
      isError(
        'BIRDC_ERR_REPLY',
        (e) =>
          e.birdCode === 8002 &&
          e.location?.file === badFile &&
          e.location.line === brokenLine &&
          /syntax error/.test(e.location.message),
      ),
    );
  });

  it('configure soft applies a rewritten include file; a broken one is refused and the old config stays', async () => {
    writeFileSync(routesFile, rtbhRoutesFile(['192.0.2.66/32', '192.0.2.77/32']));
    const applied = await client.configure({ soft: true });
    assert.equal(applied.status, 'reconfigured');
    const rtbh = await client.showRoutes({ table: 't4', protocol: 'bw_rtbh4', all: true });
    assert.deepEqual(rtbh.map((r) => r.network).sort(), ['192.0.2.66/32', '192.0.2.77/32']);
    assert.ok(rtbh.every((r) => r.bgp?.communities.some(([a, v]) => a === 65535 && v === 666)));

    writeFileSync(routesFile, 'protocol static bw_rtbh4 {\n  ipv4 { table t4; };\n  route 192.0.2.88/32 blackhole\n}\n');
    await assert.rejects(
      client.configure({ soft: true }),
      isError('BIRDC_ERR_REPLY', (e) => e.birdCode === 8002 && e.location?.file === routesFile && e.location.line === 4),
    );
    assert.equal((await client.countRoutes('t4', { protocol: 'bw_rtbh4' })).matched, 2);
    assert.equal((await client.showStatus()).message, 'Daemon is up and running');
  });

  it('configure with an undo timeout, then confirm', async () => {
    writeFileSync(routesFile, rtbhRoutesFile(['192.0.2.66/32']));
    const pending = await client.configure({ soft: true, timeout: 30 });
    assert.equal(pending.status, 'reconfigured');
    assert.equal(pending.undoInSeconds, 30);
    assert.equal((await client.configureConfirm()).status, 'confirmed');
    await assert.rejects(client.configure({ check: true, soft: true }), isError('BIRDC_ERR_INVALID_ARGUMENT'));
    await assert.rejects(client.configure({ file: 'a"b' }), isError('BIRDC_ERR_INVALID_ARGUMENT'));
  });

  it('disables and enables a protocol; echoed log lines arrive as log events, not in replies', async () => {
    await client.command('echo all');
    const logged = once(client, 'log', { signal: AbortSignal.timeout(2_000) });
    const disabled = await client.disable('st4');
    assert.deepEqual(disabled, [{ protocol: 'st4', result: 'disabled', code: 9 }]);
    assert.deepEqual(await logged, ['Disabling protocol st4']);
    assert.equal((await client.showProtocol('st4')).state, 'down');
    assert.equal((await client.countRoutes('t4', { protocol: 'st4' })).matched, 0);
    assert.deepEqual(await client.disable('st4'), [{ protocol: 'st4', result: 'already disabled', code: 8 }]);

    assert.deepEqual(await client.enable('st4'), [{ protocol: 'st4', result: 'enabled', code: 11 }]);
    await eventually('st4 up again', 2_000, async () =>
      (await client.showProtocol('st4')).state === 'up' ? true : undefined,
    );
    const restarted = await client.restart('bw_*');
    assert.deepEqual(restarted.map((r) => `${r.protocol} ${r.result}`), [
      'bw_flow4 restarted',
      'bw_flow6 restarted',
      'bw_rtbh4 restarted',
    ]);
    assert.deepEqual(await client.reload('st4', { direction: 'in' }), [{ protocol: 'st4', result: 'reloading', code: 15 }]);
    await assert.rejects(client.disable('nothing_*'), isError('BIRDC_ERR_REPLY', (e) => e.birdCode === 8003));
    await client.command('echo off');
  });

  it('rejects syntax errors with 9001 and unsafe arguments before sending', async () => {
    await assert.rejects(
      client.showRoutes({ table: 'nope' }),
      isError('BIRDC_ERR_REPLY', (e) => e.birdCode === 9001 && e.command === 'show route table nope'),
    );
    await assert.rejects(client.showRoutes({ table: 't4 all\ndown' }), isError('BIRDC_ERR_INVALID_ARGUMENT'));
    await assert.rejects(client.disable('st4; down'), isError('BIRDC_ERR_INVALID_ARGUMENT'));
    assert.equal((await client.showStatus()).message, 'Daemon is up and running');
  });

  it('reconnects after BIRD restarts; a command issued meanwhile waits for the new daemon', async () => {
    const before = await client.showStatus();
    const disconnected = once(client, 'disconnect');
    await bird!.stop();
    await disconnected;
    await assert.rejects(
      client.showStatus({ timeoutMs: 200 }),
      isError('BIRDC_ERR_TIMEOUT', (e) => /waiting for a connection/.test(e.message)),
    );
    const waiting = client.showStatus({ timeoutMs: 5_000 });
    const reconnected = once(client, 'connect');
    bird = await startBird({ dir, name: 'static', config: staticBirdConfig(routesFile), socketPath: bird!.socketPath });
    const after = await waiting;
    await reconnected;
    assert.equal(client.state, 'ready');
    assert.equal(after.routerId, before.routerId);
    assert.ok(after.lastReboot >= before.lastReboot);
  });

  it('a command in flight when BIRD dies fails with BIRDC_ERR_DISCONNECTED, then the client recovers', async () => {
    await client.showStatus();
    // A stopped BIRD still accepts the bytes but cannot answer, so the command is surely in flight.
    bird!.signal('SIGSTOP');
    const inFlight = client.showStatus();
    await sleep(100);
    bird!.signal('SIGKILL');
    await assert.rejects(
      inFlight,
      isError('BIRDC_ERR_DISCONNECTED', (e) => e.command === 'show status' && /may or may not have been executed/.test(e.message)),
    );
    bird = await startBird({ dir, name: 'static', config: staticBirdConfig(routesFile), socketPath: bird!.socketPath });
    assert.equal((await client.showStatus()).message, 'Daemon is up and running');
  });
});
