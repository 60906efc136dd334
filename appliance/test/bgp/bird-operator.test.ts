// BIRD run by the operator (bgp.bird.socket set): Breakwater only owns the routes file the operator's config
// includes. It must never get the operator's BIRD to load a broken configuration: when `configure check`
// fails (here: the operator left a syntax error in their own file), Breakwater's file is put back, BIRD keeps
// running what it had, and the route stays desired until a reconcile succeeds.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createBirdClient, type BirdClient } from '@bird-tools/birdc';
import { cleanUpEverything, commandMissing, eventually, netnsUnavailableReason, spawnOwned } from '../support/netns.js';
import { Controller, ControllerError } from './helpers/controller.js';
import { BIRD_BIN, createLab, labBgpConfig, ROUTER_ASN, SPEAKER_ASN, type Lab } from './helpers/lab.js';
import { expectedView, flowEntry, routerView, type RouterView } from './helpers/router-view.js';
import { RULES } from './helpers/speaker-suite.js';

const DISCARD = '(generic, 0x80060000, 0x0)';
const NTP_RATE = '(generic, 0x80060000, 0x49742400)';
const skip = netnsUnavailableReason() ?? commandMissing(BIRD_BIN);

describe('BIRD run by the operator', { skip, concurrency: 1 }, () => {
  let lab: Lab;
  let controller: Controller | undefined;
  let operatorBird: BirdClient;
  let operatorConf: string;
  let routesFile: string;
  let goodConf: string;

  const converge = async (what: string, expected: RouterView): Promise<void> => {
    let last: RouterView | undefined;
    try {
      await eventually(what, 15_000, async () => {
        last = await routerView(lab.router);
        return JSON.stringify(last) === JSON.stringify(expected) ? true : undefined;
      });
    } catch (err) {
      assert.deepEqual(last, expected, `${what}: ${(err as Error).message}`);
    }
  };

  before(async () => {
    lab = await createLab('birdop');
    routesFile = join(lab.dir, 'breakwater-routes.conf');
    writeFileSync(routesFile, '');
    operatorConf = join(lab.dir, 'operator-bird.conf');
    goodConf = [
      '# The operator\'s own BIRD: their names, their protocols, one include for Breakwater.',
      'router id 198.18.0.2;',
      'protocol device {}',
      'flow4 table flowtab4;',
      'flow6 table flowtab6;',
      'protocol bgp upstream {',
      `  local ${lab.link.b.ipv4} as ${SPEAKER_ASN};`,
      `  neighbor ${lab.link.a.ipv4} as ${ROUTER_ASN};`,
      '  connect delay time 1; connect retry time 1; error wait time 1, 2;',
      '  flow4 { table flowtab4; import none; export where proto = "bw_flow4"; };',
      '}',
      `include "${routesFile}";`,
      '',
    ].join('\n');
    writeFileSync(operatorConf, goodConf);
    const socket = join(lab.dir, 'operator.ctl');
    spawnOwned(BIRD_BIN, ['-f', '-c', operatorConf, '-s', socket], { netns: lab.speakerNs });
    operatorBird = createBirdClient({ socketPath: socket });
    operatorBird.on('connectError', () => undefined);
    await eventually('the operator BIRD', 10_000, async () => (await operatorBird.showStatus({ timeoutMs: 500 })).version);
    controller = await Controller.start({
      netns: lab.speakerNs,
      dataDir: join(lab.dir, 'data'),
      bgp: labBgpConfig(lab, 'bird', { bird: { socket, routesFile } }) as never,
    });
  });
  after(async () => {
    await controller?.stop().catch(() => undefined);
    await operatorBird?.close();
    await lab?.router.stop().catch(() => undefined);
    cleanUpEverything();
  });

  test('routes go out through the operator\'s own protocol, and its session shows as the peer\'s', async () => {
    await controller!.announceFlow({ rule: RULES.dns, owner: 'attack-1' });
    await converge('the rule at the router', expectedView({ flow4: [flowEntry(RULES.dns, [DISCARD])] }));
    const peers = await eventually('the session view', 10_000, async () => {
      const p = await controller!.peers();
      return p[0]?.state === 'established' ? p : undefined;
    });
    assert.match(peers[0]!.info, /Established/);
  });

  test('a failing `configure check` puts the old file back and leaves BIRD running what it had', async () => {
    const before = readFileSync(routesFile, 'utf8');
    appendFileSync(operatorConf, 'this is not bird syntax;\n');
    await assert.rejects(controller!.announceFlow({ rule: RULES.ntp, owner: 'attack-2' }), (err: ControllerError) => err.code === 'BW_ERR_SPEAKER_CONFIG');
    assert.equal(readFileSync(routesFile, 'utf8'), before);
    assert.ok((await operatorBird.showStatus()).version);
    assert.deepEqual(await routerView(lab.router), expectedView({ flow4: [flowEntry(RULES.dns, [DISCARD])] }));
    // Still desired: once the operator fixes their file, the reconcile loop announces it.
    assert.equal((await controller!.desiredRoutes()).length, 2);
    writeFileSync(operatorConf, goodConf);
    await converge('the second rule after the fix', expectedView({ flow4: [flowEntry(RULES.dns, [DISCARD]), flowEntry(RULES.ntp, [NTP_RATE])] }));
  });

  test('a withdrawing shutdown empties Breakwater\'s file and leaves the operator\'s BIRD running', async () => {
    await controller!.stop();
    controller = undefined;
    await converge('router empty', expectedView({}));
    assert.ok((await operatorBird.showStatus()).version);
    assert.doesNotMatch(readFileSync(routesFile, 'utf8'), /route flow4/);
  });
});
