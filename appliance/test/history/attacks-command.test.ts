// `breakwater attacks list|show|pcap` on a data directory whose database another connection keeps writing to
// (as the running appliance does): filters, text and JSON, the audit trail and running mitigation of an attack,
// its capture to a file and to stdout byte for byte, and a clear BW_ERR_* code and exit status for every
// mistake.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { sampleAttack } from '@breakwater/sdk/testing';
import { AuditStore } from '../../src/audit/audit-store.js';
import { attackPcapPath } from '../../src/capture/attack-pcap-path.js';
import type { AttackRecord } from '../../src/detection/attack.js';
import { AttackHistoryStore, type StoredAttack } from '../../src/history/attack-history-store.js';
import { seriesPointOf } from '../../src/history/attack-series-store.js';
import type { AttackDetail } from '../../src/history/attack-detail.js';
import { defaultRunbook } from '../../src/mitigation/default-runbook.js';
import { startMitigation } from '../../src/mitigation/escalation-machine.js';
import { MitigationStore } from '../../src/mitigation/mitigation-store.js';
import { encodePcap } from '../../src/pcap/pcap-writer.js';
import { databasePath, openDatabase, type DatabaseHandle } from '../../src/storage/sqlite.js';
import { runCli } from '../support/run-cli.js';

const dataDir = mkdtempSync(join(tmpdir(), 'bwt-attacks-cli-'));
const T = Date.UTC(2026, 0, 15, 10, 0, 0);
let writer: DatabaseHandle;
let history: AttackHistoryStore;

function attack(id: string, overrides: Partial<AttackRecord>): AttackRecord {
  const startedAt = overrides.startedAt ?? T;
  return sampleAttack({ id, startedAt, firstSampleAt: startedAt - 900, updatedAt: startedAt, ...overrides });
}

const udp = attack('0mk1udp000-00', { target: '203.0.113.10', vector: 'udp_flood', startedAt: T, updatedAt: T + 200_000, endedAt: T + 185_000 });
const syn = attack('0mk1syn000-01', { target: '203.0.113.20', vector: 'syn_flood', severity: 'critical', startedAt: T + 600_000, updatedAt: T + 660_000 });
const v6 = attack('0mk1v6a000-02', { target: '2001:db8::7', ipVersion: 6, vector: 'udp_flood', startedAt: T + 900_000, updatedAt: T + 930_000, endedAt: T + 920_000 });
const pcapBytes = encodePcap([
  { data: new Uint8Array(60).fill(7), timestampMicros: T * 1000 },
  { data: new Uint8Array(1514).fill(9), timestampMicros: T * 1000 + 500 },
]);

before(() => {
  // The "running appliance": a writing connection that stays open during every command.
  writer = openDatabase(databasePath(dataDir));
  history = new AttackHistoryStore(writer.db);
  history.save([{ attack: udp, endReason: 'quiet' }, { attack: syn }, { attack: v6, endReason: 'quiet' }], T + 930_000);
  new AuditStore(writer.db).append(
    { at: T + 600_010, actor: 'engine', action: 'attack.detected', attackId: syn.id, target: syn.target, runbook: 'default' },
    { at: T + 600_050, actor: 'engine', action: 'stage.engaged', attackId: syn.id, target: syn.target, stage: 0, stageName: 'local-filter', reason: 'attack started' },
    { at: T + 30_000, actor: 'engine', action: 'attack.detected', attackId: udp.id, target: udp.target },
  );
  const mitigations = new MitigationStore(writer.db);
  mitigations.saveState(startMitigation({ attack: syn, runbook: defaultRunbook(), mode: 'auto', startStage: 0, now: T + 600_010 }).state);
  const path = attackPcapPath(dataDir, syn.id);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, pcapBytes);
});

after(() => {
  writer.release();
  rmSync(dataDir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(['attacks', ...args, '--data-dir', dataDir]);

test('list: newest first, as text or JSON, filtered by time, target, vector, activity and count', async () => {
  const all = await cli('list');
  assert.equal(all.code, 0, all.stderr);
  const lines = all.stdout.trim().split('\n');
  assert.deepEqual(lines.map((l) => l.split(/\s+/)[0]), [v6.id, syn.id, udp.id]);
  assert.match(lines[1]!, /203\.0\.113\.20\s+syn_flood\s+critical\s+peak 410 kpps 3\.28 Gbps\s+active/);
  assert.match(lines[2]!, /2026-01-15T10:00:00\.000Z\s+3m05s\s+203\.0\.113\.10\s+udp_flood/);
  assert.match(lines[2]!, /ended \(quiet\)$/);

  const json = await cli('list', '--json');
  const parsed = JSON.parse(json.stdout) as StoredAttack[];
  assert.deepEqual(parsed.map((s) => s.attack), [v6, syn, udp]);
  assert.deepEqual(parsed.map((s) => s.endReason), ['quiet', null, 'quiet']);

  const ids = async (...args: string[]) => ((JSON.parse((await cli('list', '--json', ...args)).stdout) as StoredAttack[]).map((s) => s.attack.id));
  assert.deepEqual(await ids('--active'), [syn.id]);
  assert.deepEqual(await ids('--target', '203.0.113.0/24'), [syn.id, udp.id]);
  assert.deepEqual(await ids('--target', '2001:db8::7'), [v6.id]);
  assert.deepEqual(await ids('--vector', 'udp_flood'), [v6.id, udp.id]);
  assert.deepEqual(await ids('--since', new Date(T + 190_000).toISOString()), [v6.id, syn.id]);
  assert.deepEqual(await ids('--until', new Date(T + 600_000).toISOString()), [syn.id, udp.id]);
  assert.deepEqual(await ids('--limit', '1'), [v6.id]);
  // Relative times count back from now: these attacks are in January 2026, long before "2h" ago.
  assert.deepEqual(await ids('--since', '2h', '--until', '1h'), [syn.id], 'only the attack still active is within the last hours');
});

test('list sees what the running appliance writes after it was first read', async () => {
  const late = attack('0mk1late00-03', { target: '198.51.100.9', vector: 'icmp_flood', startedAt: T + 1_000_000, updatedAt: T + 1_000_000 });
  history.save([{ attack: late }], T + 1_000_000);
  const r = await cli('list', '--vector', 'icmp_flood', '--json');
  assert.deepEqual((JSON.parse(r.stdout) as StoredAttack[]).map((s) => s.attack.id), [late.id]);
});

test('show: the record with profile and signature, its capture, the running mitigation and its audit trail', async () => {
  const text = await cli('show', syn.id);
  assert.equal(text.code, 0, text.stderr);
  for (const part of [
    `attack ${syn.id}: syn_flood on 203.0.113.20 (host, IPv4, host group web)`,
    'status        active',
    'detection latency 1400 ms',
    'threshold     amplification pps > 50 kpps (static, group web): measured 410 kpps (lower bound 380 kpps) over 1000 ms',
    'signature     coverage 98.0%, collateral 0.1% (820 attack / 1200 benign samples)',
    '"destination":{"prefix":"203.0.113.10/32"}',
    'source ports       123 98.0%',
    'packet sizes       <=512 95.0%',
    `capture       ${attackPcapPath(dataDir, syn.id)} (${pcapBytes.length} bytes)`,
    'runbook default (auto)',
    'audit trail   2 entries',
    'stage.engaged',
  ]) {
    assert.ok(text.stdout.includes(part), `missing "${part}" in:\n${text.stdout}`);
  }

  const json = await cli('show', syn.id, '--json');
  const detail = JSON.parse(json.stdout) as AttackDetail;
  assert.deepEqual(detail.attack, syn);
  assert.equal(detail.endReason, null);
  assert.deepEqual(detail.capture, { path: attackPcapPath(dataDir, syn.id), bytes: pcapBytes.length });
  assert.equal(detail.mitigation?.id, syn.id);
  assert.equal(detail.mitigation?.runbook, 'default');
  assert.deepEqual(detail.audit.map((a) => a.action), ['attack.detected', 'stage.engaged']);

  const ended = JSON.parse((await cli('show', udp.id, '--json')).stdout) as AttackDetail;
  assert.deepEqual([ended.endReason, ended.capture, ended.mitigation, ended.audit.length], ['quiet', null, null, 1]);
  assert.match((await cli('show', udp.id)).stdout, /capture {7}none\n {2}mitigation {4}none running/);
});

test('show: the rate series summary (points, first, last, peak) in text and in --json', async () => {
  const points = [0, 1, 2, 3].map((i) => seriesPointOf({ ...udp, updatedAt: T + i * 1000, rates: { pps: [90_000, 410_000, 300_000, 20_000][i]!, bps: 7e8 } }));
  history.save([], T + 5000, [{ attackId: udp.id, points, metric: 'pps', storedBefore: 0, maxPoints: 3600 }]);
  const text = (await cli('show', udp.id)).stdout;
  for (const part of [
    'rate series   4 points over 3s',
    `first       ${new Date(T).toISOString()}  90 kpps 700 Mbps`,
    `last        ${new Date(T + 3000).toISOString()}  20 kpps 700 Mbps`,
    `peak        ${new Date(T + 1000).toISOString()}  410 kpps 700 Mbps  (by pps; threshold 50 kpps, baseline 2 kpps)`,
  ]) {
    assert.ok(text.includes(part), `missing "${part}" in:\n${text}`);
  }
  const detail = JSON.parse((await cli('show', udp.id, '--json')).stdout) as AttackDetail;
  assert.deepEqual(detail.series, { points: 4, first: points[0], last: points[3], peak: points[1] });
  assert.match((await cli('show', v6.id)).stdout, /rate series {3}none recorded/);
  assert.deepEqual((JSON.parse((await cli('show', v6.id, '--json')).stdout) as AttackDetail).series, { points: 0, first: null, last: null, peak: null });
});

test('pcap: the capture byte for byte to a file and to stdout', async () => {
  const out = join(dataDir, 'copy.pcap');
  const toFile = await cli('pcap', syn.id, '-o', out);
  assert.equal(toFile.code, 0, toFile.stderr);
  assert.deepEqual(readFileSync(out), pcapBytes);
  assert.match(toFile.stderr, new RegExp(`${pcapBytes.length} bytes written to`));

  const toStdout = await cli('pcap', syn.id);
  assert.equal(toStdout.code, 0, toStdout.stderr);
  assert.deepEqual(toStdout.stdoutBytes, pcapBytes);
  const dash = await cli('pcap', syn.id, '-o', '-');
  assert.deepEqual(dash.stdoutBytes, pcapBytes);
});

test('mistakes get a stable code and exit 2 (usage) or 1 (nothing to show)', async () => {
  const cases: { args: string[]; code: number; error: string }[] = [
    { args: ['show', 'no-such-attack'], code: 1, error: 'BW_ERR_ATTACK_NOT_FOUND' },
    { args: ['pcap', 'no-such-attack'], code: 1, error: 'BW_ERR_ATTACK_NOT_FOUND' },
    { args: ['pcap', udp.id], code: 1, error: 'BW_ERR_ATTACK_PCAP_MISSING' },
    { args: ['pcap', '../../etc/passwd'], code: 2, error: 'BW_ERR_CAPTURE_ATTACK_ID' },
    { args: ['show'], code: 2, error: 'BW_ERR_CLI_USAGE' },
    { args: ['show', 'a', 'b'], code: 2, error: 'BW_ERR_CLI_USAGE' },
    { args: ['pcap'], code: 2, error: 'BW_ERR_CLI_USAGE' },
    { args: ['list', 'extra'], code: 2, error: 'BW_ERR_CLI_USAGE' },
    { args: ['list', '--limit', '0'], code: 2, error: 'BW_ERR_CLI_USAGE' },
    { args: ['list', '--since', 'yesterday'], code: 2, error: 'BW_ERR_CLI_USAGE' },
    { args: ['list', '--target', 'example.com'], code: 2, error: 'BW_ERR_HISTORY_QUERY' },
    { args: ['list', '--bogus'], code: 2, error: 'BW_ERR_CLI_USAGE' },
  ];
  for (const c of cases) {
    const r = await cli(...c.args);
    assert.equal(r.code, c.code, `${c.args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.startsWith(`${c.error}:`), `${c.args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '', `${c.args.join(' ')} prints nothing on stdout`);
  }
  const empty = mkdtempSync(join(tmpdir(), 'bwt-attacks-empty-'));
  try {
    const r = await runCli(['attacks', 'list', '--data-dir', empty]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^BW_ERR_HISTORY_READ: .*there is no database yet/);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});
