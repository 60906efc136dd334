import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBreakwaterError } from '../../src/errors.js';
import { applyRouterProfile, profileRefusalError, type ProfileFit } from '../../src/flowspec/apply-router-profile.js';
import { BUILTIN_ROUTER_PROFILES, builtinRouterProfile, type RouterProfile } from '../../src/flowspec/router-profiles.js';
import { ALL_ACTION_TYPES, type FlowSpecAction, type FlowSpecMatch, type FlowSpecRule } from '../../src/flowspec/rule.js';
import { FLOW_COMPONENTS } from '../../src/flowspec/components.js';
import { anyOf, condition as c, eq, range } from '../../src/flowspec/numeric-match.js';
import { FIXTURES } from './fixtures.js';

const v4 = (match: Partial<FlowSpecMatch>, actions: FlowSpecAction[] = [{ type: 'discard' }]): FlowSpecRule => ({
  family: 'ipv4',
  match: { destination: { prefix: '203.0.113.10/32' }, ...match },
  actions,
});
const profile = (name: string): RouterProfile => {
  const p = builtinRouterProfile(name);
  assert.ok(p, name);
  return structuredClone(p);
};
function accepted(fit: ProfileFit): Extract<ProfileFit, { outcome: 'accepted' }> {
  assert.equal(fit.outcome, 'accepted', fit.outcome === 'refused' ? fit.message : '');
  return fit as Extract<ProfileFit, { outcome: 'accepted' }>;
}
function refused(fit: ProfileFit, code = 'BW_ERR_FLOWSPEC_PROFILE_REFUSED'): Extract<ProfileFit, { outcome: 'refused' }> {
  assert.equal(fit.outcome, 'refused');
  const r = fit as Extract<ProfileFit, { outcome: 'refused' }>;
  assert.equal(r.code, code);
  return r;
}

test('the built-in profiles exist, are complete and are plain JSON', () => {
  const names = ['generic-rfc8955', 'juniper-junos', 'cisco-iosxr', 'arista-eos', 'nokia-sros', 'mikrotik-routeros7', 'bird', 'frr-receiver'];
  assert.deepEqual(Object.keys(BUILTIN_ROUTER_PROFILES).sort(), names.sort());
  for (const p of Object.values(BUILTIN_ROUTER_PROFILES)) {
    assert.deepEqual(JSON.parse(JSON.stringify(p)), p, p.name);
    assert.deepEqual(Object.keys(p.components).sort(), FLOW_COMPONENTS.map((x) => x.name).filter((n) => n !== 'destination').sort(), p.name);
    assert.deepEqual(Object.keys(p.actions).sort(), [...ALL_ACTION_TYPES].sort(), p.name);
    // Built-ins never widen a rule on their own: trimming is something an operator opts in to.
    assert.ok(Object.values(p.components).every((s) => s.onUnsupported === 'refuse'), p.name);
    assert.ok(p.notes.length > 0, p.name);
  }
  assert.equal(builtinRouterProfile('frr-receiver')!.originatesFlowSpec, false);
  assert.equal(builtinRouterProfile('bird')!.originatesFlowSpec, true);
});

test('the generic RFC 8955 router and BIRD take every fixture unchanged', () => {
  for (const name of ['generic-rfc8955', 'bird']) {
    for (const f of FIXTURES) {
      const fit = accepted(applyRouterProfile(profile(name), f.rule));
      assert.deepEqual(fit.rule, f.rule, `${name}: ${f.name}`);
      assert.deepEqual(fit.trimmed, []);
    }
  }
});

test('a component the router lacks is refused by default, naming the field', () => {
  const r = refused(applyRouterProfile(profile('juniper-junos'), { family: 'ipv6', match: { destination: { prefix: '2001:db8::1/128' }, flowLabel: eq(1) }, actions: [{ type: 'discard' }] }));
  assert.equal(r.field, 'match.flowLabel');
  assert.match(r.message, /^Router profile juniper-junos cannot take this FlowSpec rule: match\.flowLabel: flowLabel is not supported/);
});

test('trimming: only where the profile allows it, and the trim says the match got wider', () => {
  // A router that ignores packet-length, with the operator accepting the wider rule.
  const p = profile('generic-rfc8955');
  p.components.packetLength = { supported: false, onUnsupported: 'trim' };
  const rule = v4({ protocol: eq(17), packetLength: [[c('>', 1400)]] });
  const fit = accepted(applyRouterProfile(p, rule));
  assert.deepEqual(fit.rule.match, { destination: { prefix: '203.0.113.10/32' }, protocol: eq(17) });
  assert.equal(fit.trimmed.length, 1);
  assert.equal(fit.trimmed[0]!.field, 'match.packetLength');
  assert.match(fit.trimmed[0]!.reason, /now matches any packet length/);
  assert.deepEqual(rule.match.packetLength, [[c('>', 1400)]], 'the input rule is not modified');
  // The caller can still forbid trimming for this one rule.
  assert.equal(refused(applyRouterProfile(p, rule, { allowTrim: false })).field, 'match.packetLength');
});

test('a router that supports only discard and rate-limit', () => {
  const p = profile('generic-rfc8955');
  for (const type of ALL_ACTION_TYPES) if (type !== 'discard' && type !== 'rate-limit') p.actions[type] = 'refuse';
  p.actions.community = 'trim';
  accepted(applyRouterProfile(p, v4({}, [{ type: 'rate-limit', bytesPerSecond: 1000 }])));
  assert.equal(refused(applyRouterProfile(p, v4({}, [{ type: 'mark-dscp', dscp: 0 }]))).field, 'actions[0]');
  const fit = accepted(applyRouterProfile(p, v4({}, [{ type: 'discard' }, { type: 'community', asn: 65000, value: 1 }])));
  assert.deepEqual(fit.rule.actions, [{ type: 'discard' }]);
  assert.deepEqual(fit.trimmed.map((t) => t.field), ['actions[1]']);
});

test('trimming that leaves no traffic action is a refusal', () => {
  const p = profile('generic-rfc8955');
  p.actions['traffic-action'] = 'trim';
  const r = refused(applyRouterProfile(p, v4({}, [{ type: 'traffic-action', sample: true, terminal: false }])));
  assert.equal(r.field, 'actions');
});

test('the rule budget: refused with its own code once maxRules are installed', () => {
  const p = profile('nokia-sros');
  accepted(applyRouterProfile(p, v4({}), { installedRules: 511 }));
  const r = refused(applyRouterProfile(p, v4({}), { installedRules: 512 }), 'BW_ERR_FLOWSPEC_PROFILE_LIMIT');
  assert.match(r.message, /allows at most 512 FlowSpec rules and 512 are installed/);
  const err = profileRefusalError(r);
  assert.ok(isBreakwaterError(err, 'BW_ERR_FLOWSPEC_PROFILE_LIMIT'));
  assert.equal(err.status, 409);
  assert.equal(err.message, r.message);
});

test('partial support: Nokia matches only SYN and ACK and no DF bit', () => {
  const p = profile('nokia-sros');
  accepted(applyRouterProfile(p, v4({ tcpFlags: [[{ flags: ['syn'], mode: 'all' }, { flags: ['ack'], mode: 'none' }]] })));
  const r = refused(applyRouterProfile(p, v4({ tcpFlags: [[{ flags: ['syn', 'rst'], mode: 'any' }]] })));
  assert.equal(r.field, 'match.tcpFlags');
  assert.match(r.reason, /not rst/);
  assert.equal(refused(applyRouterProfile(p, v4({ fragment: [[{ flags: ['dont-fragment'], mode: 'all' }]] }))).field, 'match.fragment');
});

test('FRR as a receiver: one value or range per component, one port component, no positive rate-limit', () => {
  const p = profile('frr-receiver');
  accepted(applyRouterProfile(p, v4({ protocol: eq(17), destinationPort: range(50, 90) })));
  assert.equal(refused(applyRouterProfile(p, v4({ destinationPort: anyOf(53, 123) }))).field, 'match.destinationPort');
  assert.match(refused(applyRouterProfile(p, v4({ sourcePort: eq(53), destinationPort: eq(80) }))).reason, /at most one of port/);
  assert.equal(refused(applyRouterProfile(p, v4({}, [{ type: 'rate-limit', bytesPerSecond: 1000 }]))).field, 'actions[0]');
  accepted(applyRouterProfile(p, v4({}, [{ type: 'redirect', target: { format: 'ip', address: '192.0.2.1', local: 1 } }])));
});

test('families and offsets: MikroTik takes nothing, IOS-XR no IPv6 source offsets', () => {
  assert.match(refused(applyRouterProfile(profile('mikrotik-routeros7'), v4({}))).reason, /no FlowSpec rules at all/);
  const ipv6Offset: FlowSpecRule = {
    family: 'ipv6',
    match: { destination: { prefix: '2001:db8::1/128' }, source: { prefix: '2001:db8:aaaa::/48', offset: 16 } },
    actions: [{ type: 'discard' }],
  };
  assert.match(refused(applyRouterProfile(profile('cisco-iosxr'), ipv6Offset)).reason, /offsets are not supported/);
  const v4Only = profile('generic-rfc8955');
  v4Only.families = ['ipv4'];
  assert.match(refused(applyRouterProfile(v4Only, ipv6Offset)).reason, /no ipv6 FlowSpec rules/);
});

test('vendor profiles take a typical DDoS rule (UDP amplification, discard)', () => {
  const rule = v4({ protocol: eq(17), sourcePort: eq(123), packetLength: [[c('>=', 400)]] });
  for (const name of ['juniper-junos', 'cisco-iosxr', 'arista-eos', 'nokia-sros', 'frr-receiver']) accepted(applyRouterProfile(profile(name), rule));
});
