// Records real BIRD replies into test/fixtures/*.txt, byte for byte, for the parser unit tests.
// It starts the same daemons as the integration tests (helpers/configs.ts): a static BIRD, and a
// BGP pair in two network namespaces. Run as root from the repository root:
//   node --conditions=source --import tsx bird-tools/birdc/test/record-fixtures.ts
// Not a *.test.ts file, so the test runner never runs it; the fixtures it writes are committed.
import { writeFileSync, mkdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReplyParser } from '../src/reply-parser.js';
import { createNetnsPair, deleteNetns, makeTempDir, removeTempDir, startBird, type BirdDaemon } from './helpers/bird.js';
import { bgpReceiverConfig, bgpSenderConfig, rtbhRoutesFile, staticBirdConfig } from './helpers/configs.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;

/** A raw session: every byte BIRD sends is kept, and the parser only says where a reply ends. */
class RawSession {
  readonly #socket: Socket;
  readonly #parser = new ReplyParser();
  #bytes: Buffer[] = [];
  #replies = 0;
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#bytes.push(chunk);
      for (const e of this.#parser.push(chunk)) if (e.kind === 'reply') this.#replies += 1;
      this.#wake?.();
    });
  }

  static async open(path: string): Promise<{ session: RawSession; greeting: Buffer }> {
    const socket = connect({ path });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const session = new RawSession(socket);
    return { session, greeting: await session.#untilReplies(1) };
  }

  /** Sends one command; returns the raw bytes up to its last line, plus anything within `lingerMs`. */
  async run(command: string, lingerMs = 0): Promise<Buffer> {
    this.#socket.write(`${command}\n`);
    const target = this.#replies + 1;
    const bytes = await this.#untilReplies(target);
    if (lingerMs === 0) return bytes;
    await sleep(lingerMs);
    return Buffer.concat([bytes, this.#take()]);
  }

  async #untilReplies(target: number): Promise<Buffer> {
    const deadline = Date.now() + 5_000;
    while (this.#replies < target) {
      if (Date.now() > deadline) throw new Error('no complete reply within 5 s');
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return this.#take();
  }

  #take(): Buffer {
    const all = Buffer.concat(this.#bytes);
    this.#bytes = [];
    return all;
  }

  close(): void {
    this.#socket.destroy();
  }
}

function save(name: string, bytes: Buffer): void {
  writeFileSync(join(fixtures, `${name}.txt`), bytes);
  console.log(`recorded ${name}.txt (${bytes.length} bytes)`);
}

async function recordStatic(): Promise<void> {
  const dir = makeTempDir('record');
  let bird: BirdDaemon | undefined;
  try {
    const routesFile = join(dir, 'rtbh-routes.conf');
    writeFileSync(routesFile, rtbhRoutesFile(['192.0.2.66/32']));
    bird = await startBird({ dir, name: 'static', config: staticBirdConfig(routesFile) });
    writeFileSync(join(dir, 'bad.conf'), `${staticBirdConfig(routesFile)}protocol static broken {\n  ipv4;\n  route 192.0.2.0/24 via;\n}\n`);
    const { session, greeting } = await RawSession.open(bird.socketPath);
    save('greeting', greeting);
    const commands: Array<[string, string]> = [
      ['show-status', 'show status'],
      ['show-protocols', 'show protocols'],
      ['show-protocols-all-st4', 'show protocols all st4'],
      ['show-route-t4', 'show route table t4'],
      ['show-route-t4-all', 'show route table t4 all'],
      ['show-route-t6-all', 'show route table t6 all'],
      ['show-route-flowtab4-all', 'show route table flowtab4 all'],
      ['show-route-flowtab6-all', 'show route table flowtab6 all'],
      ['show-route-count', 'show route count'],
      ['show-route-t4-count', 'show route table t4 count'],
      ['show-route-for-not-found', 'show route for 192.0.2.200 table t4'],
      ['show-interfaces', 'show interfaces'],
      ['syntax-error', 'show route table nope'],
      ['configure-check', 'configure check'],
      ['configure-check-bad', `configure check "${join(dir, 'bad.conf')}"`],
      ['configure-soft', 'configure soft'],
      ['configure-timeout', 'configure timeout 30'],
      ['configure-confirm', 'configure confirm'],
      ['configure-undo', 'configure undo'],
      ['disable-st4', 'disable st4'],
      ['disable-st4-again', 'disable st4'],
      ['enable-st4', 'enable st4'],
      ['restart-all', 'restart all'],
      ['reload-st4', 'reload st4'],
      ['disable-no-match', 'disable "nothing_*"'],
    ];
    for (const [name, command] of commands) save(name, await session.run(command));
    // With `echo all` BIRD copies its log lines to this session as "+..." lines.
    await session.run('echo all');
    save('echo-disable-st4', await session.run('disable st4', 300));
    save('echo-enable-st4', await session.run('enable st4', 300));
    session.close();
  } finally {
    await bird?.stop();
    removeTempDir(dir);
  }
}

async function recordBgp(): Promise<void> {
  const dir = makeTempDir('record-bgp');
  const pair = createNetnsPair('rec');
  const birds: BirdDaemon[] = [];
  try {
    birds.push(
      await startBird({ dir, name: 'a', netns: pair.a, config: bgpSenderConfig(pair.addressA, pair.addressB) }),
    );
    const receiver = await startBird({
      dir,
      name: 'b',
      netns: pair.b,
      config: bgpReceiverConfig(pair.addressB, pair.addressA),
    });
    birds.push(receiver);
    const { session } = await RawSession.open(receiver.socketPath);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const count = (await session.run('show route table flowtab4 count')).toString('utf8');
      if (count.includes('1007-1 of 1 routes')) break;
      if (Date.now() > deadline) throw new Error(`BGP routes did not arrive:\n${receiver.stderr()}`);
      await sleep(100);
    }
    // Let the ipv4 channel settle too (it usually arrives first, but do not rely on it).
    await sleep(200);
    save('bgp-show-protocols', await session.run('show protocols'));
    save('bgp-show-protocols-all-peer_a', await session.run('show protocols all peer_a'));
    save('bgp-show-route-master4-all', await session.run('show route table master4 all'));
    save('bgp-show-route-flowtab4-all', await session.run('show route table flowtab4 all'));
    save('bgp-show-route-all', await session.run('show route all'));
    session.close();
  } finally {
    for (const bird of birds) await bird.stop();
    deleteNetns(pair.a, pair.b);
    removeTempDir(dir);
  }
}

mkdirSync(fixtures, { recursive: true });
await recordStatic();
await recordBgp();
