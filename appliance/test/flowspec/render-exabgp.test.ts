import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { isBreakwaterError } from '../../src/errors.js';
import { actionExtendedCommunity, extendedCommunityHex } from '../../src/flowspec/action-communities.js';
import { componentsToMatch, decodeFlowSpecNlri } from '../../src/flowspec/decode-components.js';
import { renderExabgpAnnounce, renderExabgpMatch, renderExabgpThen, renderExabgpWithdraw } from '../../src/flowspec/render-exabgp.js';
import { assertValidFlowSpecRule } from '../../src/flowspec/validate.js';
import { condition as c, eq, range } from '../../src/flowspec/numeric-match.js';
import type { FlowSpecAction, FlowSpecMatch, FlowSpecRule } from '../../src/flowspec/rule.js';
import { fixturesFor, PROTECTED } from './fixtures.js';
import { hasCommand, hex, normaliseMatch, run } from './helpers.js';

const valid = (rule: FlowSpecRule): FlowSpecRule => assertValidFlowSpecRule(rule, { protectedPrefixes: PROTECTED });
const v4 = (match: Partial<FlowSpecMatch>, actions: FlowSpecAction[] = [{ type: 'discard' }]): FlowSpecRule =>
  valid({ family: 'ipv4', match: { destination: { prefix: '1.2.3.4/32' }, ...match }, actions });
const v6 = (match: Partial<FlowSpecMatch>, actions: FlowSpecAction[] = [{ type: 'discard' }]): FlowSpecRule =>
  valid({ family: 'ipv6', match: { destination: { prefix: '2001:db8::1/128' }, ...match }, actions });

before(() => PROTECTED.push('1.2.3.4/32'));
after(() => void PROTECTED.pop());

test('the protocols.md example renders to the documented ExaBGP lines', () => {
  const rule = v4({ protocol: eq(17), sourcePort: eq(53), packetLength: [[c('>', 200), c('<', 1500)]] });
  assert.equal(
    renderExabgpAnnounce(rule),
    'announce flow route { match { destination 1.2.3.4/32; protocol =17; source-port =53; packet-length [ >200&<1500 ]; } then { discard; } }',
  );
  assert.equal(renderExabgpWithdraw(rule), 'withdraw flow route { match { destination 1.2.3.4/32; protocol =17; source-port =53; packet-length [ >200&<1500 ]; } }');
});

const matchCases: [string, FlowSpecRule, string][] = [
  ['source', v4({ source: { prefix: '198.51.100.0/24' } }), 'source 198.51.100.0/24;'],
  ['protocol list', v4({ protocol: [[c('=', 6)], [c('=', 17)]] }), 'protocol [ =6 =17 ];'],
  ['port !=', v4({ port: [[c('!=', 22)]] }), 'port !=22;'],
  ['destination port OR-list', v4({ destinationPort: [[c('>=', 1000), c('<=', 2000)], [c('=', 80)]] }), 'destination-port [ >=1000&<=2000 =80 ];'],
  ['source port', v4({ sourcePort: [[c('<', 1024)]] }), 'source-port <1024;'],
  ['icmp', v4({ icmpType: eq(3), icmpCode: [[c('<=', 4)]] }), 'icmp-type =3; icmp-code <=4;'],
  ['tcp flags, four modes', v4({ tcpFlags: [[{ flags: ['syn'], mode: 'all' }, { flags: ['rst'], mode: 'none' }], [{ flags: ['ack', 'psh'], mode: 'any' }], [{ flags: ['syn', 'ack'], mode: 'not-all' }]] }), 'tcp-flags [ =syn&!rst ack+push !=syn+ack ];'],
  ['packet length', v4({ packetLength: range(64, 128) }), 'packet-length [ >=64&<=128 ];'],
  ['dscp', v4({ dscp: eq(46) }), 'dscp =46;'],
  ['fragment', v4({ fragment: [[{ flags: ['is-fragment'], mode: 'all' }, { flags: ['dont-fragment'], mode: 'none' }]] }), 'fragment [ =is-fragment&!dont-fragment ];'],
  ['IPv6 next header, traffic class, flow label', v6({ protocol: eq(58), dscp: eq(10), flowLabel: [[c('>', 7)]] }), 'next-header =58; traffic-class =10; flow-label >7;'],
  ['IPv6 destination', v6({}), 'destination 2001:db8::1/128;'],
];
for (const [name, rule, expected] of matchCases) {
  test(`ExaBGP match: ${name}`, () => assert.ok(renderExabgpMatch(rule).includes(expected), renderExabgpMatch(rule)));
}

const thenCases: [string, FlowSpecAction[], string][] = [
  ['discard', [{ type: 'discard' }], 'then { discard; }'],
  ['rate-limit', [{ type: 'rate-limit', bytesPerSecond: 9600 }], 'then { rate-limit 9600; }'],
  ['rate-limit-packets as raw community', [{ type: 'rate-limit-packets', packetsPerSecond: 1000 }], 'then { extended-community [ 0x800c0000447a0000 ]; }'],
  ['redirect AS2', [{ type: 'redirect', target: { format: 'as2', asn: 65000, local: 100 } }], 'then { redirect 65000:100; }'],
  ['redirect AS4', [{ type: 'redirect', target: { format: 'as4', asn: 4200000000, local: 100 } }], 'then { redirect 4200000000:100; }'],
  ['redirect IP as raw community', [{ type: 'redirect', target: { format: 'ip', address: '192.0.2.1', local: 100 } }], 'then { extended-community [ 0x8108c00002010064 ]; }'],
  ['mark', [{ type: 'mark-dscp', dscp: 10 }], 'then { mark 10; }'],
  ['action sample-terminal', [{ type: 'traffic-action', sample: true, terminal: true }], 'then { action sample-terminal; }'],
  ['action terminal', [{ type: 'traffic-action', sample: false, terminal: true }], 'then { action terminal; }'],
  [
    'communities gathered per kind',
    [
      { type: 'discard' },
      { type: 'community', asn: 65535, value: 666 },
      { type: 'large-community', global: 1, local1: 2, local2: 3 },
      { type: 'community', asn: 65000, value: 1 },
      { type: 'extended-community', kind: 'route-target', value: { format: 'as2', asn: 65000, local: 1 } },
    ],
    'then { discard; community [ 65535:666 65000:1 ]; large-community [ 1:2:3 ]; extended-community [ 0x0002fde800000001 ]; }',
  ],
];
for (const [name, actions, expected] of thenCases) {
  test(`ExaBGP then: ${name}`, () => assert.equal(renderExabgpThen(v4({}, actions)), expected));
}

test('an AS4 redirect to an AS below 65536 is refused: ExaBGP 4.2 has no form for it that works', () => {
  assert.throws(
    () => renderExabgpThen(v4({}, [{ type: 'redirect', target: { format: 'as4', asn: 100, local: 5 } }])),
    (err: unknown) => isBreakwaterError(err, 'BW_ERR_FLOWSPEC_UNRENDERABLE'),
  );
});

test('a non-zero IPv6 prefix offset is refused: ExaBGP 4.2 does not encode it per RFC 8956', () => {
  assert.throws(
    () => renderExabgpAnnounce(v6({ source: { prefix: '2001:db8:aaaa::/48', offset: 16 } })),
    (err: unknown) => isBreakwaterError(err, 'BW_ERR_FLOWSPEC_UNRENDERABLE') && err.message.includes('match.source.offset'),
  );
});

const exabgpEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  'exabgp.log.destination': 'stdout',
  'exabgp.daemon.user': userInfo().username,
  'exabgp.tcp.bind': '',
  ...extra,
});

/** A passive neighbor (it never connects or listens) that carries both flow families. */
const neighbor = (body: string): string => `
neighbor 127.0.0.2 {
  router-id 192.0.2.10; local-address 127.0.0.1; local-as 65010; peer-as 65000; passive true;
  family { ipv4 flow; ipv6 flow; }
${body}
}
`;

interface DecodedUpdate {
  family: 'ipv4' | 'ipv6';
  nlri: Uint8Array;
  /** Attribute type code -> payload bytes. */
  attributes: Map<number, Uint8Array>;
}

/** What `exabgp --test` logs at DEBUG for each route it encodes and decodes again. */
function parseExabgpCheckLog(log: string): DecodedUpdate[] {
  const updates: DecodedUpdate[] = [];
  let attributes = new Map<number, Uint8Array>();
  for (const line of log.split('\n')) {
    if (line.includes('parsing UPDATE')) attributes = new Map();
    const attr = /attribute \S+\s+flag 0x[0-9a-f]{2} type 0x([0-9a-f]{2}) len 0x[0-9a-f]+ payload ([0-9A-F ]+)$/.exec(line);
    if (attr) attributes.set(parseInt(attr[1]!, 16), hex(attr[2]!));
    const nlri = /NLRI\s+(ipv4|ipv6) flow\s.*payload ([0-9A-F ]+)$/.exec(line);
    if (nlri) updates.push({ family: nlri[1] as 'ipv4' | 'ipv6', nlri: hex(nlri[2]!), attributes });
  }
  return updates;
}

function chunks(bytes: Uint8Array | undefined, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; bytes !== undefined && i < bytes.length; i += size) out.push(Buffer.from(bytes.subarray(i, i + size)).toString('hex'));
  return out.sort();
}

describe('exabgp --test: ExaBGP encodes the rendered rules as the model says', { skip: !hasCommand('exabgp') && 'exabgp is not installed' }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bw-flowspec-exabgp-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function checkConfig(routes: string[]): Promise<{ code: number; log: string }> {
    const file = join(dir, `check-${Math.random().toString(36).slice(2)}.conf`);
    await writeFile(file, neighbor(`  flow {\n${routes.map((r) => `    route { ${r} }`).join('\n')}\n  }`));
    const result = await run('exabgp', ['--test', file], { cwd: dir, env: exabgpEnv({ 'exabgp.log.level': 'DEBUG', 'exabgp.log.parser': 'true' }) });
    return { code: result.code, log: result.stdout + result.stderr };
  }

  // ExaBGP 4.2.21 cannot print a decoded AS4 redirect community (0x8208): TrafficRedirectASN4 has __str__ but
  // no __repr__, and ExtendedCommunity.__repr__ delegates to the class's __repr__, so `--test` (which decodes
  // and prints every route) dies with "maximum recursion depth exceeded". The API path does not decode what it
  // sends and acknowledges those rules (see the API test below); only this offline check has to leave them out.
  const decodable = (rule: FlowSpecRule): boolean => !rule.actions.some((a) => a.type === 'redirect' && a.target.format === 'as4');

  test('every ExaBGP fixture: NLRI decodes back to the rule, communities are the expected ones', async () => {
    const rules = fixturesFor('exabgp').map((f) => valid(f.rule)).filter(decodable);
    assert.ok(rules.length >= 8);
    const { code, log } = await checkConfig(rules.map((r) => `${renderExabgpMatch(r)} ${renderExabgpThen(r)}`));
    assert.equal(code, 0, log.split('\n').slice(-15).join('\n'));
    const updates = parseExabgpCheckLog(log);
    assert.ok(updates.length >= rules.length, `found ${updates.length} updates in the exabgp log`);
    const decoded = updates.map((u) => ({ u, match: componentsToMatch(u.family, decodeFlowSpecNlri(u.family, u.nlri).components) }));

    for (const rule of rules) {
      const found = decoded.find((d) => d.match.destination.prefix === rule.match.destination.prefix);
      assert.ok(found, `no update for ${rule.match.destination.prefix}`);
      assert.deepEqual(normaliseMatch(found.match), normaliseMatch(rule.match));

      const expectedExtended = rule.actions.map(actionExtendedCommunity).filter((w) => w !== undefined).map((w) => extendedCommunityHex(w!).slice(2));
      assert.deepEqual(chunks(found.u.attributes.get(16), 8), expectedExtended.sort(), `extended communities of ${rule.match.destination.prefix}`);
      const expectedCommunities = rule.actions.flatMap((a) => (a.type === 'community' ? [((a.asn << 16) | a.value) >>> 0] : [])).map((n) => n.toString(16).padStart(8, '0'));
      assert.deepEqual(chunks(found.u.attributes.get(8), 4), expectedCommunities.sort());
      const expectedLarge = rule.actions.flatMap((a) => (a.type === 'large-community' ? [[a.global, a.local1, a.local2].map((n) => n.toString(16).padStart(8, '0')).join('')] : []));
      assert.deepEqual(chunks(found.u.attributes.get(32), 12), expectedLarge.sort());
    }
  });

  test('ExaBGP 4.2.21 cannot decode-and-print an AS4 redirect (why those fixtures are left out above)', async () => {
    const { code, log } = await checkConfig(['match { destination 203.0.113.17/32; } then { redirect 4200000000:100; }']);
    assert.notEqual(code, 0);
    assert.match(log, /maximum recursion depth exceeded/);
  });

  test('why offsets are refused: ExaBGP 4.2 writes ceil(length/8) prefix bytes after the offset, not the RFC 8956 pattern', async () => {
    const { code, log } = await checkConfig(['match { destination 2001:db8::1/128; source 2001:db8:aaaa::/48/16; } then { discard; }']);
    assert.equal(code, 0);
    const [update] = parseExabgpCheckLog(log);
    assert.ok(update);
    // type 2, length 48, offset 16, then six address bytes: an RFC 8956 pattern would be the four bytes 0db8aaaa.
    assert.ok(Buffer.from(update.nlri).toString('hex').includes('02301020010db8aaaa'), Buffer.from(update.nlri).toString('hex'));
    let roundTrips = false;
    try {
      const m = componentsToMatch('ipv6', decodeFlowSpecNlri('ipv6', update.nlri).components);
      roundTrips = m.source?.prefix === '2001:db8:aaaa::/48' && m.source.offset === 16;
    } catch {
      roundTrips = false;
    }
    assert.equal(roundTrips, false);
  });
});

describe('ExaBGP process API acknowledges the announce and withdraw lines', { skip: !hasCommand('exabgp') && 'exabgp is not installed' }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bw-flowspec-exabgp-api-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('done for every rendered line, error for a broken one', async () => {
    const rules = fixturesFor('exabgp').map((f) => valid(f.rule));
    const broken = 'announce flow route { match { destination 1.2.3.4/32; fragment [ bogus ]; } then { discard; } }';
    const lines = [...rules.map(renderExabgpAnnounce), broken, ...rules.map(renderExabgpWithdraw)];
    await writeFile(join(dir, 'lines'), lines.join('\n') + '\n');
    // The API process: write one command, wait for ExaBGP's ack on stdin, record it; then idle until ExaBGP exits.
    // It must keep its stdout open while idling: ExaBGP takes EOF there for a dead process and respawns it.
    const script = join(dir, 'api.sh');
    await writeFile(
      script,
      `#!/bin/bash\nexec 3< "${dir}/lines"\nwhile IFS= read -r line <&3; do\n  printf '%s\\n' "$line"\n  IFS= read -r ack || exit 0\n  printf '%s\\n' "$ack" >> "${dir}/acks"\ndone\nwhile IFS= read -r _; do :; done\n`,
    );
    await chmod(script, 0o755);
    await writeFile(join(dir, 'acks'), '');
    const config = join(dir, 'exabgp.conf');
    await writeFile(config, `process bw { run ${script}; encoder text; }\n` + neighbor('  api { processes [ bw ]; }'));

    const exabgp = spawn('exabgp', [config], { cwd: dir, env: exabgpEnv({ 'exabgp.api.ack': 'true' }), stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    exabgp.stdout.on('data', (d) => (log += d));
    exabgp.stderr.on('data', (d) => (log += d));
    const exited = new Promise((resolve) => exabgp.once('exit', resolve));
    let acks: string[] = [];
    try {
      // ExaBGP acks within milliseconds; five seconds without a new ack means a command was swallowed.
      let lastProgress = Date.now();
      while (Date.now() - lastProgress < 5000) {
        const now = (await readFile(join(dir, 'acks'), 'utf8')).split('\n').filter((l) => l !== '');
        if (now.length > acks.length) lastProgress = Date.now();
        acks = now;
        if (acks.length >= lines.length || exabgp.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      exabgp.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (exabgp.exitCode === null) exabgp.kill('SIGKILL');
    }
    const expected = lines.map((l) => (l === broken ? 'error' : 'done'));
    assert.deepEqual(acks, expected, log.split('\n').filter((l) => l.includes('api')).slice(-10).join('\n'));
    const added = log.split('\n').filter((l) => l.includes('flow added to'));
    for (const rule of rules) {
      const destination = rule.family === 'ipv4' ? `destination-ipv4 ${rule.match.destination.prefix} ` : `destination-ipv6 ${rule.match.destination.prefix}/0 `;
      assert.ok(added.some((l) => l.includes(destination)), `ExaBGP logged no "flow added" for ${destination}`);
    }
  });
});
