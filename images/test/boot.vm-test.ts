// Boot test of the appliance image: boots the built qcow2 under qemu (KVM when /dev/kvm works, software
// emulation otherwise), twice — once on BIOS and once on UEFI firmware, each from its own copy-on-write
// overlay of the same image — and checks from outside the VM what an operator would:
//   - the controller, BIRD and ExaBGP are running under systemd, the controller as user breakwater with
//     only CAP_NET_ADMIN and CAP_NET_BIND_SERVICE, nftables' base policy and the rmem_max sysctl applied;
//   - the health endpoint answers (it listens on the VM's loopback, as configured, and is reached through an
//     SSH port forward over qemu's hostfwd of port 22: nothing in the image is opened up for the test; the
//     web panel's login page is checked here once the panel exists);
//   - sFlow datagrams sent to the VM (qemu hostfwd of UDP 6343) are counted in /health's intake section,
//     and the sFlow socket got its 32 MiB receive buffer;
//   - first boot made this copy its own: machine id, SSH host keys, setup token, TLS certificate and
//     hostname differ between the two boots, and the token is shown in the console banner;
//   - with protected networks configured, an attack sent as sFlow is detected (attack.started in the journal),
//     when the build has detection (/health's detection section);
//   - a backup made on the first VM restores on the second and the controller runs on it (the upgrade path).
// Root login uses a throwaway key passed as a systemd credential (SMBIOS type 11,
// ssh.authorized_keys.root): the image itself holds no key.
//
// Not a *.test.ts file, so `npm test` does not pick it up (it takes 6-20 minutes under emulation): run it
// with `bash images/test/boot-test.sh`, which builds the image first if needed; BREAKWATER_IMAGE names the
// qcow2 (default images/build/breakwater-latest-amd64.qcow2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { SflowStream } from '../../appliance/src/synthetic/sflow-generator.js';

const run = promisify(execFile);
const image = resolve(process.env.BREAKWATER_IMAGE ?? new URL('../build/breakwater-latest-amd64.qcow2', import.meta.url).pathname);
/** KVM when /dev/kvm is there, until a boot shows it cannot run this guest; software emulation otherwise. */
let kvm = kvmDeviceUsable();
let kvmFailure = '';
/** Boot-to-SSH bound: seconds with KVM, minutes under software emulation. */
const bootTimeoutMs = (): number => (kvm ? 180_000 : 900_000);
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

function kvmDeviceUsable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

interface Identity {
  machineId: string;
  hostname: string;
  hostKeys: string;
  tokenSha: string;
  tlsFingerprint: string;
}

class KvmUnusable extends Error {}

class Vm {
  private qemu: ChildProcess | undefined;
  private forwards: ChildProcess[] = [];
  readonly serialLog: string;
  sshPort = 0;
  sflowPort = 0;
  private exited = false;

  constructor(private readonly dir: string, private readonly name: string, private readonly firmware: 'bios' | 'uefi') {
    this.serialLog = join(dir, `${name}-serial.log`);
  }

  async boot(publicKey: string): Promise<number> {
    const overlay = join(this.dir, `${this.name}.qcow2`);
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image, '-F', 'qcow2', overlay]);
    this.sshPort = await freePort();
    this.sflowPort = await freePort();
    if (this.firmware === 'uefi') await run('cp', [OVMF_VARS, join(this.dir, `${this.name}-vars.fd`)]);
    try {
      return await this.start(publicKey, overlay);
    } catch (err) {
      if (!(err instanceof KvmUnusable)) throw err;
      // Some hosts have a /dev/kvm that cannot run an ordinary guest (a nested or paravirtual KVM that fails
      // on the guest kernel's first privileged instructions): fall back to software emulation for good.
      kvm = false;
      kvmFailure = err.message;
      await this.kill();
      await run('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image, '-F', 'qcow2', overlay]);
      return await this.start(publicKey, overlay);
    }
  }

  private async start(publicKey: string, overlay: string): Promise<number> {
    const args = [
      '-machine', `q35,accel=${kvm ? 'kvm' : 'tcg'}`,
      ...(kvm ? ['-cpu', 'host'] : []),
      '-smp', '2', '-m', '2048',
      '-drive', `file=${overlay},if=virtio,format=qcow2`,
      '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${this.sshPort}-:22,hostfwd=udp:127.0.0.1:${this.sflowPort}-:6343`,
      '-device', 'virtio-net-pci,netdev=n0',
      '-smbios', `type=11,value=io.systemd.credential.binary:ssh.authorized_keys.root=${Buffer.from(publicKey).toString('base64')}`,
      '-serial', `file:${this.serialLog}`,
      '-display', 'none', '-no-reboot',
    ];
    if (this.firmware === 'uefi') {
      args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,unit=1,file=${join(this.dir, `${this.name}-vars.fd`)}`);
    }
    const started = Date.now();
    this.exited = false;
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.qemu = qemu;
    let stderr = '';
    qemu.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    qemu.on('exit', () => {
      if (this.qemu === qemu) this.exited = true;
    });
    const kvmBroken = (): boolean => kvm && /KVM internal error|kvm_buf_set_msrs|failed to set MSR/.test(stderr);
    for (;;) {
      if (kvmBroken()) throw new KvmUnusable(stderr.split('\n').find((l) => /KVM|MSR/.test(l)) ?? stderr);
      if (this.exited) throw new Error(`qemu exited during boot: ${stderr}\n${await this.serialTail()}`);
      if (kvm && Date.now() - started > 60_000 && !(await readFile(this.serialLog, 'utf8').catch(() => '')).includes('Linux version')) {
        throw new KvmUnusable('no kernel output within 60 s under KVM');
      }
      if (Date.now() - started > bootTimeoutMs()) throw new Error(`no SSH within ${bootTimeoutMs() / 1000} s\n${await this.serialTail()}`);
      try {
        await this.ssh('true', 10_000);
        return Date.now() - started;
      } catch {
        await sleep(1000);
      }
    }
  }

  private async kill(): Promise<void> {
    const qemu = this.qemu;
    if (qemu === undefined || qemu.exitCode !== null || qemu.signalCode !== null) return;
    const gone = new Promise<void>((r) => qemu.once('exit', () => r()));
    qemu.kill('SIGKILL');
    await gone;
  }

  sshArgs(): string[] {
    return ['-i', join(this.dir, 'id'), '-p', String(this.sshPort), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
      '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=5'];
  }

  /** Runs a command in the VM as root; the default bound allows for software emulation's slowness. */
  async ssh(command: string, timeoutMs = kvm ? 60_000 : 300_000): Promise<string> {
    const { stdout } = await run('ssh', [...this.sshArgs(), 'root@127.0.0.1', command], { timeout: timeoutMs });
    return stdout.trim();
  }

  async scp(from: string, to: string): Promise<void> {
    const args = this.sshArgs().map((a) => (a === '-p' ? '-P' : a));
    await run('scp', [...args, from, to], { timeout: 60_000 });
  }

  /** Forwards a local port to 127.0.0.1:remotePort inside the VM through SSH; returns the local port. */
  async forward(remotePort: number): Promise<number> {
    const local = await freePort();
    const child = spawn('ssh', [...this.sshArgs(), '-N', '-o', 'ExitOnForwardFailure=yes', '-L', `127.0.0.1:${local}:127.0.0.1:${remotePort}`, 'root@127.0.0.1'], { stdio: 'ignore' });
    this.forwards.push(child);
    return local;
  }

  async identity(): Promise<Identity> {
    const out = await this.ssh([
      'cat /etc/machine-id', 'hostname', 'cat /etc/ssh/ssh_host_*_key.pub | sha256sum | cut -c1-64',
      'sha256sum /var/lib/breakwater/setup-token | cut -c1-64',
      'openssl x509 -in /etc/breakwater/tls/panel.crt -noout -fingerprint -sha256 | cut -d= -f2',
    ].join(' && '));
    const [machineId, hostname, hostKeys, tokenSha, tlsFingerprint] = out.split('\n');
    return { machineId: machineId!, hostname: hostname!, hostKeys: hostKeys!, tokenSha: tokenSha!, tlsFingerprint: tlsFingerprint! };
  }

  async serialTail(): Promise<string> {
    const text = await readFile(this.serialLog, 'utf8').catch(() => '');
    return `--- last serial console lines of ${this.name} ---\n${text.split('\n').slice(-40).join('\n')}`;
  }

  /** Powers off through systemd, then makes sure qemu is gone (by its pid). */
  async stop(): Promise<void> {
    for (const f of this.forwards) f.kill();
    this.forwards = [];
    if (this.qemu === undefined || this.exited) return;
    await this.ssh('systemctl poweroff', 10_000).catch(() => undefined);
    for (let i = 0; i < 60 && !this.exited; i++) await sleep(500);
    if (!this.exited) await this.kill();
  }
}

async function health(port: number): Promise<Record<string, unknown>> {
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5000) });
      assert.equal(res.status, 200);
      return (await res.json()) as Record<string, unknown>;
    } catch (err) {
      if (i >= 60) throw err;
      await sleep(1000);
    }
  }
}

test('the appliance image boots, runs its services, counts sFlow, and every copy is its own', { timeout: 3_600_000 }, async (t) => {
  assert.ok(existsSync(image), `no image at ${image}: run bash images/build.sh first`);
  const dir = await mkdtemp(join(tmpdir(), 'bw-boot-'));
  const vms: Vm[] = [];
  t.after(async () => {
    for (const vm of vms) await vm.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'breakwater-boot-test', '-f', join(dir, 'id')]);
  const publicKey = readFileSync(join(dir, 'id.pub'), 'utf8').trim();
  t.diagnostic(`image ${image}; /dev/kvm ${kvm ? 'present' : 'absent or not usable'}`);

  const first = new Vm(dir, 'bios', 'bios');
  vms.push(first);
  const bootMs = await first.boot(publicKey);
  t.diagnostic(`BIOS boot to SSH: ${(bootMs / 1000).toFixed(1)} s under ${kvm ? 'KVM' : 'TCG (software emulation)'}${kvmFailure ? ` (KVM failed: ${kvmFailure})` : ''}`);
  try {
    await t.test('services: controller, BIRD, ExaBGP, nftables active; controller unprivileged with two capabilities', async () => {
      // The controller may still be starting right after SSH comes up.
      let active = '';
      for (let i = 0; i < 60; i++) {
        active = await first.ssh('systemctl is-active breakwater bird exabgp nftables breakwater-firstboot || true');
        if (active.split('\n').every((s) => s === 'active')) break;
        await sleep(1000);
      }
      assert.deepEqual(active.split('\n'), ['active', 'active', 'active', 'active', 'active'], await first.ssh('systemctl --failed --no-legend; journalctl -b -u breakwater -u bird -u exabgp --no-pager | tail -30'));
      const pid = await first.ssh('systemctl show -p MainPID --value breakwater');
      const status = await first.ssh(`grep -E '^(Uid|CapEff|CapBnd|CapAmb):' /proc/${pid}/status`);
      const uid = await first.ssh('id -u breakwater');
      assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s`, 'm'), 'the controller runs as user breakwater');
      // CAP_NET_BIND_SERVICE is bit 10 (0x400), CAP_NET_ADMIN bit 12 (0x1000).
      for (const field of ['CapEff', 'CapBnd', 'CapAmb']) assert.match(status, new RegExp(`^${field}:\\s+0000000000001400$`, 'm'), `${field}: ${status}`);
      assert.equal(await first.ssh('pgrep -u bird -x bird | wc -l'), '1', 'BIRD runs as user bird');
      assert.ok(Number(await first.ssh('pgrep -u exabgp -f /usr/sbin/exabgp | wc -l')) >= 1, 'ExaBGP runs as user exabgp');
      assert.match(await first.ssh('birdc show status'), /Daemon is up and running/);
      // The controller drives this BIRD through its control socket (bgp.bird.socket): user breakwater may.
      assert.match(await first.ssh('runuser -u breakwater -- birdc -s /run/bird/bird.ctl show status'), /Daemon is up and running/);
      const ordered = await first.ssh("systemctl show -p After --value breakwater");
      assert.match(ordered, /bird\.service/);
      assert.match(ordered, /exabgp\.service/);
      assert.match(await first.ssh('journalctl -b -u breakwater -o cat --no-pager'), /appliance started/, 'the controller logs to the journal');
    });

    await t.test('system: rmem_max, firewall base policy, no identity from the image', async () => {
      assert.equal(await first.ssh('sysctl -n net.core.rmem_max'), '33554432');
      const rules = await first.ssh('nft list table inet appliance_base');
      assert.match(rules, /policy drop/);
      for (const port of ['tcp dport 22', 'tcp dport 443', 'udp dport 6343', 'tcp dport 179']) assert.ok(rules.includes(port), `${port} is open`);
      assert.equal(await first.ssh('stat -c %U:%a /var/lib/breakwater/setup-token'), 'breakwater:600');
      assert.match(await first.ssh('cat /etc/breakwater-release'), /^VERSION=/m);
      const banner = await first.ssh('cat /etc/issue.d/60-breakwater.issue');
      const token = await first.ssh('cat /var/lib/breakwater/setup-token');
      assert.match(token, /^[0-9a-f]{8}(-[0-9a-f]{8}){4}$/);
      assert.ok(banner.includes(`One-time admin setup token: ${token}`), 'the console banner shows the setup token');
    });

    let healthPort = 0;
    await t.test('health endpoint answers through a forward of the VM-loopback port (the panel comes later)', async () => {
      healthPort = await first.forward(9180);
      const report = await health(healthPort);
      assert.equal(report.status, 'ok');
      const intake = report.intake as { sockets: { port: number; receiveBufferBytes: number }[] };
      assert.ok(intake.sockets.some((s) => s.port === 6343), 'sFlow is bound on 6343');
      // Linux reports twice what was asked (bookkeeping overhead): at least the 32 MiB asked for.
      for (const s of intake.sockets) assert.ok(s.receiveBufferBytes >= 33554432, `receive buffer ${s.receiveBufferBytes} (rmem_max applied?)`);
    });

    await t.test('sFlow sent into the VM through hostfwd is counted in /health intake', async () => {
      const before = (await health(healthPort)).intake as { datagramsAccepted: number; flowSamples: number };
      const stream = new SflowStream({ agents: 2, destinations: 50, seed: 9 });
      const socket = createSocket('udp4');
      const sent = 300;
      for (let i = 0; i < sent; i++) {
        await new Promise<void>((r, j) => socket.send(stream.next(), first.sflowPort, '127.0.0.1', (err) => (err ? j(err) : r())));
        if (i % 20 === 19) await sleep(5);
      }
      socket.close();
      let intake = before;
      for (let i = 0; i < 30; i++) {
        intake = (await health(healthPort)).intake as typeof before;
        if (intake.datagramsAccepted - before.datagramsAccepted >= sent) break;
        await sleep(500);
      }
      assert.equal(intake.datagramsAccepted - before.datagramsAccepted, sent, 'every datagram sent was accepted');
      assert.equal(intake.flowSamples - before.flowSamples, stream.flowSamples);
    });

    await t.test('protected networks configured; a backup is made with the controller stopped', async () => {
      // The synthetic stream's destinations are 198.18.0.0 + i: protect that range, so detection tracks them.
      await first.ssh([
        `printf 'networks: ["198.18.0.0/15"]\\n' >> /etc/breakwater/breakwater.yaml`,
        "sed -i 's/^  level: info$/  level: debug/' /etc/breakwater/breakwater.yaml",
        'breakwater config check /etc/breakwater/breakwater.yaml',
        'systemctl stop breakwater',
        'breakwater backup create /root/bw.tar.gz',
        'systemctl start breakwater',
      ].join(' && '));
      await first.scp('root@127.0.0.1:/root/bw.tar.gz', join(dir, 'bw.tar.gz'));
      assert.equal((await health(healthPort)).status, 'ok');
    });

    await t.test('an attack sent as sFlow into the VM is detected', async () => {
      const report = await health(healthPort);
      assert.ok('detection' in report, '/health has a detection section');
      // One destination, 1-in-100,000 sampling: a few hundred samples a second estimate tens of millions
      // of packets a second, far above the default total threshold (200,000 pps), with enough samples.
      const stream = new SflowStream({ agents: 1, destinations: 1, samplingRate: 100_000, seed: 3, counterEvery: 0 });
      const socket = createSocket('udp4');
      const until = Date.now() + 8000;
      while (Date.now() < until) {
        for (let i = 0; i < 5; i++) await new Promise<void>((r, j) => socket.send(stream.next(), first.sflowPort, '127.0.0.1', (err) => (err ? j(err) : r())));
        await sleep(50);
      }
      socket.close();
      let log = '';
      for (let i = 0; i < 30 && !log.includes('attack.started'); i++) {
        log = await first.ssh('journalctl -b -u breakwater -o cat --no-pager | grep -F attack.started || true');
        if (!log.includes('attack.started')) await sleep(1000);
      }
      assert.match(log, /"target":"198\.18\.0\.0/, `attack.started for 198.18.0.0 in the controller's journal: ${log}`);
    });

    await t.test('the backup restores on a second copy booted on UEFI, which made its own identity', async () => {
      const id1 = await first.identity();
      await first.stop();

      const second = new Vm(dir, 'uefi', 'uefi');
      vms.push(second);
      const ms = await second.boot(publicKey);
      t.diagnostic(`UEFI boot to SSH: ${(ms / 1000).toFixed(1)} s under ${kvm ? 'KVM' : 'TCG'}`);
      const id2 = await second.identity();
      for (const key of Object.keys(id1) as (keyof Identity)[]) {
        assert.ok(id1[key].length > 0, `${key} is set`);
        assert.notEqual(id1[key], id2[key], `${key} must differ between two copies of the image`);
      }
      await second.scp(join(dir, 'bw.tar.gz'), 'root@127.0.0.1:/root/bw.tar.gz');
      const restored = await second.ssh('systemctl stop breakwater && breakwater backup restore /root/bw.tar.gz && systemctl start breakwater && systemctl is-active breakwater');
      assert.match(restored, /restored \d+ files/);
      assert.match(await second.ssh('cat /etc/breakwater/breakwater.yaml'), /level: debug/);
      assert.equal(await second.ssh('sha256sum /var/lib/breakwater/setup-token | cut -c1-64'), id1.tokenSha, 'the data directory came along');
      const port = await second.forward(9180);
      assert.equal((await health(port)).status, 'ok');
    });
  } catch (err) {
    t.diagnostic(await first.serialTail());
    throw err;
  }
});
