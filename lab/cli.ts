// `npm run lab`: the end-to-end lab from the command line (root, Debian 12).
//
//   npm run lab                          start everything, print where to look, run until Ctrl-C / SIGTERM
//   npm run lab -- attack NAME [--pps N] [--seconds S]   replay a scenario into the running lab
//   npm run lab -- status                what the router holds from the appliance, and the victim's Tier 1 rules
//   npm run lab -- list                  the scenarios
//
// The running lab writes its namespace names to /run/breakwater-lab.json so the other sub-commands find it.
// Everything it starts is killed by pid and its namespaces deleted on Ctrl-C, SIGTERM or exit (by the harness in
// appliance/test/support/netns.ts).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createBirdClient } from '@bird-tools/birdc';
import { netnsUnavailableReason } from '../appliance/test/support/netns.js';
import { Lab } from './src/lab.js';
import { SCENARIOS, scenario } from './src/scenarios.js';
import { replay, scenarioPcap } from './src/traffic.js';

const STATE_FILE = '/run/breakwater-lab.json';

interface LabState {
  pid: number;
  src: string;
  sourceIf: string;
  victim: string;
  appliance: string;
  routerSocket: string;
  dataDir: string;
  dir: string;
}

function readState(): LabState {
  if (!existsSync(STATE_FILE)) throw new Error(`no lab is running (${STATE_FILE} is missing): start one with npm run lab`);
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as LabState;
  try {
    process.kill(state.pid, 0);
  } catch {
    throw new Error(`the lab that wrote ${STATE_FILE} (pid ${state.pid}) is gone: start one with npm run lab`);
  }
  return state;
}

async function run(): Promise<number> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { pps: { type: 'string' }, seconds: { type: 'string' } } });
  const [command = 'start', name] = positionals;
  if (command === 'list') {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(18)} ${s.phases.map((p) => `${p.pps} pps x ${p.seconds} s`).join(', then ').padEnd(40)} ${s.description}`);
    return 0;
  }
  const notRoot = netnsUnavailableReason();
  if (notRoot !== undefined) {
    console.error(`BW_ERR_CLI_USAGE: the lab builds network namespaces: ${notRoot}`);
    return 2;
  }
  if (command === 'attack') {
    if (name === undefined) {
      console.error('BW_ERR_CLI_USAGE: npm run lab -- attack NAME (npm run lab -- list shows the names)');
      return 2;
    }
    const state = readState();
    const s = scenario(name);
    const phases = values.pps !== undefined || values.seconds !== undefined ? [{ pps: Number(values.pps ?? s.phases[0]!.pps), seconds: Number(values.seconds ?? s.phases[0]!.seconds) }] : s.phases;
    console.log(`replaying ${s.name}: ${s.description}`);
    const r = await replay({ netns: state.src, ifname: state.sourceIf, pcap: scenarioPcap(join(state.dir, 'pcaps'), s), phases, onPhase: (i) => console.log(`  phase ${i + 1}: ${phases[i]!.pps} pps for ${phases[i]!.seconds} s`) });
    console.log(`sent ${r.packets} packets in ${((r.endedAt - r.startedAt) / 1000).toFixed(1)} s`);
    return 0;
  }
  if (command === 'status') {
    const state = readState();
    const bird = createBirdClient({ socketPath: state.routerSocket, commandTimeoutMs: 5_000 });
    for (const table of ['flowtab4', 'flowtab6', 'master4', 'master6']) {
      const routes = await bird.showRoutes({ table, all: true, protocol: 'appliance' });
      console.log(`router ${table}: ${routes.length === 0 ? '(nothing from the appliance)' : ''}`);
      for (const r of routes) console.log(`  ${r.flow?.rule ?? r.network} ${(r.bgp?.communities ?? []).map(([a, b]) => `${a}:${b}`).join(' ')} ${(r.bgp?.extCommunities ?? []).map((c) => c.text).join(' ')}`);
    }
    await bird.close();
    return 0;
  }
  if (command !== 'start') {
    console.error(`BW_ERR_CLI_USAGE: unknown lab command "${command}": start | attack NAME | status | list`);
    return 2;
  }

  if (existsSync(STATE_FILE)) {
    try {
      readState();
      console.error(`BW_ERR_CLI_USAGE: a lab is already running (${STATE_FILE}); stop it first`);
      return 2;
    } catch {
      rmSync(STATE_FILE, { force: true });
    }
  }
  const lab = await Lab.start({ label: 'cli', log: (l) => console.log(`lab: ${l}`) });
  const state: LabState = {
    pid: process.pid,
    src: lab.topology.src,
    sourceIf: lab.topology.sourceIf,
    victim: lab.topology.victim,
    appliance: lab.topology.appliance,
    routerSocket: lab.router.socketPath,
    dataDir: lab.dataDir,
    dir: lab.dir,
  };
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
  console.log(`
The lab is up. Namespaces: ${lab.topology.src} (traffic source), ${lab.topology.router} (BIRD + pmacctd sfprobe 1:${lab.samplingRate}),
${lab.topology.victim} (100.64.128.0/24, 2001:db8:128::/64, breakwater agent), ${lab.topology.appliance} (breakwater start, webhook receiver).
Host threshold ${lab.thresholds.hostPps} pps, /24 threshold ${lab.thresholds.blockPps} pps. Runbook: Tier 1 (agent) -> FlowSpec -> RTBH, 3 s apart.

  send an attack:      npm run lab -- attack udp-flood        (npm run lab -- list: every scenario)
  router tables:       npm run lab -- status
                       birdc -s ${lab.router.socketPath} show route table flowtab4 all
  Tier 1 on the victim: ip netns exec ${lab.topology.victim} nft list table inet breakwater
  audit trail:         node --conditions=source --import tsx appliance/src/cli/main.ts audit --data-dir ${lab.dataDir}
  appliance log:       printed below; webhook messages are printed as "webhook: ..."

Ctrl-C stops everything and deletes the namespaces.
`);
  let shown = 0;
  let shownHooks = 0;
  const timer = setInterval(() => {
    const log = lab.log();
    for (; shown < log.length; shown++) {
      const r = log[shown]!;
      if (r.level >= 30 && !/sflow|health/i.test(r.msg)) console.log(`appliance: ${r.msg}`);
    }
    const hooks = lab.webhookMessages();
    for (; shownHooks < hooks.length; shownHooks++) console.log(`webhook: ${hooks[shownHooks]!.body.message.title}`);
  }, 250);
  // Ctrl-C and SIGTERM are handled by the harness (appliance/test/support/netns.ts): every process it started is
  // killed by pid and every namespace deleted, then the process exits; the state file goes with it.
  process.on('exit', () => {
    clearInterval(timer);
    rmSync(STATE_FILE, { force: true });
    console.log('lab: stopped (processes killed by pid, namespaces deleted)');
  });
  await new Promise<never>(() => undefined);
  return 0;
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`lab: ${(err as Error).message}`);
    process.exit(1);
  },
);
