// Queue, timeouts, reconnects and close() against a scripted peer on a Unix socket. The peer plays
// back recorded BIRD bytes (fixtures/) and misbehaves on purpose in ways a real BIRD only does by
// accident (stalling, dying mid-command, answering late), so each case is deterministic and fast.
// The same behaviours against a real BIRD are in bird-static.test.ts.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import diagnosticsChannel from 'node:diagnostics_channel';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { BirdConnection, type CommandDiagnostic } from '../src/connection.js';
import { BirdError } from '../src/errors.js';
import { fixture } from './helpers/fixtures.js';
import { makeTempDir, removeTempDir } from './helpers/bird.js';

const dir = makeTempDir('conn');
after(() => removeTempDir(dir));
let socketCounter = 0;

type Handler = (command: string, socket: Socket) => void;

/** A fake control socket: sends the recorded greeting, then hands each command line to `handler`. */
class FakeBird {
  readonly path: string;
  readonly commands: string[] = [];
  connections = 0;
  maxOutstanding = 0;
  #outstanding = 0;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  handler: Handler;
  greeting: Buffer = fixture('greeting');

  constructor(handler: Handler, path = join(dir, `fake-${++socketCounter}.ctl`)) {
    this.path = path;
    this.handler = handler;
  }

  /** Wraps socket.write so the test can see whether the client ever pipelines commands. */
  answer(socket: Socket, bytes: Buffer | string): void {
    this.#outstanding -= 1;
    socket.write(bytes);
  }

  async listen(): Promise<this> {
    this.#server = createServer((socket) => {
      this.connections += 1;
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.write(this.greeting);
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) !== -1) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          this.commands.push(line);
          this.#outstanding += 1;
          this.maxOutstanding = Math.max(this.maxOutstanding, this.#outstanding);
          this.handler(line, socket);
        }
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.path, resolve));
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server = undefined;
  }
}

/** Answers every command with the recorded reply of the same name, e.g. "show status". */
const RECORDED: Record<string, string> = {
  'show status': 'show-status',
  'show protocols': 'show-protocols',
  'disable st4': 'echo-disable-st4',
  'show route table nope': 'syntax-error',
};

function recordedHandler(fake: () => FakeBird): Handler {
  return (command, socket) => {
    const name = RECORDED[command];
    fake().answer(socket, name ? fixture(name) : '9001 syntax error\n');
  };
}

function isError(code: BirdError['code'], extra: (err: BirdError) => boolean = () => true) {
  return (err: unknown) => err instanceof BirdError && err.code === code && extra(err);
}

test('connect() reads the greeting; commands resolve with their reply lines', async () => {
  const fake: FakeBird = await new FakeBird(recordedHandler(() => fake)).listen();
  const conn = new BirdConnection({ socketPath: fake.path });
  try {
    assert.deepEqual(await conn.connect(), { version: '2.0.12' });
    assert.equal(conn.state, 'ready');
    assert.equal(conn.version, '2.0.12');
    const lines = await conn.command('show status');
    assert.equal(lines[0]!.text, 'BIRD 2.0.12');
    assert.equal(lines.at(-1)!.code, 13);
  } finally {
    await conn.close();
    await fake.stop();
  }
});

test('commands queue on one connection, one on the wire at a time, answered in order', async () => {
  // The peer answers after a delay that shrinks per command: a client that pipelined would see
  // replies overtake each other; BIRD itself never reorders.
  let delay = 60;
  const fake: FakeBird = await new FakeBird((command, socket) => {
    setTimeout(() => fake.answer(socket, `0000-${command}\n0000 \n`), (delay -= 20));
  }).listen();
  const conn = new BirdConnection({ socketPath: fake.path });
  try {
    const replies = await Promise.all(['show a', 'show b', 'show c'].map((c) => conn.command(c)));
    assert.deepEqual(
      replies.map((lines) => lines[0]!.text),
      ['show a', 'show b', 'show c'],
    );
    assert.equal(fake.maxOutstanding, 1);
    assert.equal(fake.connections, 1);
  } finally {
    await conn.close();
    await fake.stop();
  }
});

test('a reply dribbled one byte per write is reassembled', async () => {
  const fake: FakeBird = await new FakeBird((_command, socket) => {
    const bytes = fixture('bgp-show-route-all');
    fake.answer(socket, '');
    let i = 0;
    const next = () => {
      if (i >= bytes.length || socket.destroyed) return;
      socket.write(bytes.subarray(i, ++i));
      setImmediate(next);
    };
    next();
  }).listen();
  const conn = new BirdConnection({ socketPath: fake.path });
  try {
    const lines = await conn.command('show route all');
    assert.equal(lines.length, fixture('bgp-show-route-all').toString().split('\n').length - 1);
    assert.equal(lines.at(-1)!.code, 0);
  } finally {
    await conn.close();
    await fake.stop();
  }
});

test('8xxx/9xxx replies reject with BIRDC_ERR_REPLY; async lines become log events', async () => {
  const fake: FakeBird = await new FakeBird(recordedHandler(() => fake)).listen();
  const conn = new BirdConnection({ socketPath: fake.path });
  const logs: string[] = [];
  conn.on('log', (text) => logs.push(text));
  try {
    await assert.rejects(
      conn.command('show route table nope'),
      isError('BIRDC_ERR_REPLY', (e) => e.birdCode === 9001 && e.command === 'show route table nope'),
    );
    const lines = await conn.command('disable st4');
    assert.deepEqual(lines, [
      { code: 9, text: 'st4: disabled' },
      { code: 0, text: '' },
    ]);
    // The + line follows the reply in the same chunk; it must be surfaced, not dropped.
    assert.deepEqual(logs, ['Disabling protocol st4']);
  } finally {
    await conn.close();
    await fake.stop();
  }
});

test('an in-flight timeout rejects and reconnects, so a late reply cannot answer the next command', async () => {
  const fake: FakeBird = await new FakeBird((command, socket) => {
    if (command === 'slow') setTimeout(() => socket.writable && fake.answer(socket, '0000-late\n0000 \n'), 150);
    else fake.answer(socket, `0000-${command}\n0000 \n`);
  }).listen();
  const conn = new BirdConnection({ socketPath: fake.path, reconnectMinDelayMs: 10 });
  const disconnects: string[] = [];
  conn.on('disconnect', ({ reason }) => disconnects.push(reason));
  try {
    await assert.rejects(
      conn.command('slow', { timeoutMs: 50 }),
      isError('BIRDC_ERR_TIMEOUT', (e) => /within 50 ms/.test(e.message)),
    );
    const next = await conn.command('show next');
    assert.equal(next[0]!.text, 'show next');
    assert.equal(fake.connections, 2);
    assert.deepEqual(disconnects, ['`slow` timed out']);
  } finally {
    await conn.close();
    await fake.stop();
  }
});

test('the socket dropping mid-command rejects that command with BIRDC_ERR_DISCONNECTED; later ones run after the reconnect', async () => {
  const fake: FakeBird = await new FakeBird((command, socket) => {
    if (command === 'down') {
      socket.write('0000-partial\n');
      socket.destroy();
    } else fake.answer(socket, `0000-${command}\n0000 \n`);
  }).listen();
  const conn = new BirdConnection({ socketPath: fake.path, reconnectMinDelayMs: 10 });
  try {
    await conn.connect();
    const dropped = conn.command('down');
    const queued = conn.command('show after');
    await assert.rejects(
      dropped,
      isError('BIRDC_ERR_DISCONNECTED', (e) => e.command === 'down' && /may or may not have been executed/.test(e.message)),
    );
    assert.equal((await queued)[0]!.text, 'show after');
    assert.equal(fake.connections, 2);
  } finally {
    await conn.close();
    await fake.stop();
  }
});

test('commands issued while BIRD is away wait for it to come back, or time out saying why', async () => {
  const path = join(dir, 'away.ctl');
  let fake: FakeBird = await new FakeBird((c, s) => fake.answer(s, `0000-${c}\n0000 \n`), path).listen();
  const conn = new BirdConnection({ socketPath: path, reconnectMinDelayMs: 10, reconnectMaxDelayMs: 40 });
  try {
    await conn.connect();
    // Wait until the client has seen the drop: a command written before that would be in flight
    // when the socket dies, which is the DISCONNECTED case tested above.
    const disconnected = once(conn, 'disconnect');
    await fake.stop();
    await disconnected;
    await assert.rejects(
      conn.command('show gone', { timeoutMs: 150 }),
      isError('BIRDC_ERR_TIMEOUT', (e) => /waiting for a connection/.test(e.message) && e.cause instanceof BirdError),
    );
    const waiting = conn.command('show back', { timeoutMs: 2_000 });
    await sleep(100);
    fake = await new FakeBird((c, s) => fake.answer(s, `0000-${c}\n0000 \n`), path).listen();
    assert.equal((await waiting)[0]!.text, 'show back');
  } finally {
    await conn.close();
    await fake.stop();
  }
});

test('connect() with nothing listening rejects once and does not retry in the background', async () => {
  const conn = new BirdConnection({ socketPath: join(dir, 'nobody.ctl'), reconnectMinDelayMs: 10 });
  let attempts = 0;
  conn.on('connectError', () => attempts++);
  await assert.rejects(conn.connect(), isError('BIRDC_ERR_CONNECT', (e) => /ENOENT/.test(e.message)));
  await sleep(60);
  assert.equal(attempts, 1);
  assert.equal(conn.state, 'idle');
  await conn.close();
});

test('a peer that is not BIRD fails the connect with the reason', async () => {
  const fake = await new FakeBird(() => undefined).listen();
  fake.greeting = Buffer.from('SSH-2.0-OpenSSH_9.2\n');
  const conn = new BirdConnection({ socketPath: fake.path });
  try {
    await assert.rejects(conn.connect(), isError('BIRDC_ERR_CONNECT', (e) => /4-digit code/.test(e.message)));
  } finally {
    await conn.close();
    await fake.stop();
  }
});

test('a peer that never greets fails the connect after connectTimeoutMs', async () => {
  const fake = await new FakeBird(() => undefined).listen();
  fake.greeting = Buffer.alloc(0);
  const conn = new BirdConnection({ socketPath: fake.path, connectTimeoutMs: 80 });
  try {
    await assert.rejects(conn.connect(), isError('BIRDC_ERR_CONNECT', (e) => /no greeting from BIRD within 80 ms/.test(e.message)));
  } finally {
    await conn.close();
    await fake.stop();
  }
});

test('close() rejects in-flight and queued commands with BIRDC_ERR_CLOSED and is idempotent', async () => {
  const fake = await new FakeBird(() => undefined).listen();
  const conn = new BirdConnection({ socketPath: fake.path });
  try {
    await conn.connect();
    const inFlight = conn.command('show stuck');
    const queued = conn.command('show queued');
    await sleep(20);
    const closing = conn.close();
    await assert.rejects(inFlight, isError('BIRDC_ERR_CLOSED', (e) => e.command === 'show stuck'));
    await assert.rejects(queued, isError('BIRDC_ERR_CLOSED', (e) => e.command === 'show queued'));
    await closing;
    await conn.close();
    assert.equal(conn.state, 'closed');
    await assert.rejects(conn.command('show status'), isError('BIRDC_ERR_CLOSED'));
    await assert.rejects(conn.connect(), isError('BIRDC_ERR_CLOSED'));
  } finally {
    await fake.stop();
  }
});

test('command text that could smuggle a second command is refused before it reaches the socket', async () => {
  const fake = await new FakeBird(() => undefined).listen();
  const conn = new BirdConnection({ socketPath: fake.path });
  try {
    for (const bad of ['', '   ', 'show status\nconfigure', 'show status\r', 'a\0b', 42 as unknown as string]) {
      await assert.rejects(conn.command(bad), isError('BIRDC_ERR_INVALID_ARGUMENT'), JSON.stringify(bad));
    }
    await assert.rejects(conn.command('show status', { timeoutMs: -1 }), isError('BIRDC_ERR_INVALID_ARGUMENT'));
    assert.equal(fake.connections, 0);
    assert.throws(() => new BirdConnection({ socketPath: '' }), isError('BIRDC_ERR_INVALID_ARGUMENT'));
  } finally {
    await conn.close();
    await fake.stop();
  }
});

test('a reply nobody asked for breaks the connection instead of answering the next command', async () => {
  const fake: FakeBird = await new FakeBird((c, s) => fake.answer(s, `0000-${c}\n0000 \n`)).listen();
  const conn = new BirdConnection({ socketPath: fake.path, reconnectMinDelayMs: 10 });
  const reasons: string[] = [];
  conn.on('disconnect', ({ reason }) => reasons.push(reason));
  try {
    await conn.connect();
    fake.handler = (c, s) => {
      fake.answer(s, `0000-${c}\n0000 \n`);
      s.write('0000 unsolicited\n');
    };
    assert.equal((await conn.command('show x'))[0]!.text, 'show x');
    fake.handler = (c, s) => fake.answer(s, `0000-${c}\n0000 \n`);
    assert.equal((await conn.command('show y'))[0]!.text, 'show y');
    assert.match(reasons[0] ?? '', /no command was in flight/);
    assert.equal(fake.connections, 2);
  } finally {
    await conn.close();
    await fake.stop();
  }
});

test('each command is published on diagnostics_channel birdc:command', async () => {
  const fake: FakeBird = await new FakeBird(recordedHandler(() => fake)).listen();
  const conn = new BirdConnection({ socketPath: fake.path });
  const seen: CommandDiagnostic[] = [];
  const onMessage = (message: unknown) => seen.push(message as CommandDiagnostic);
  diagnosticsChannel.subscribe('birdc:command', onMessage);
  try {
    await conn.command('show protocols');
    await assert.rejects(conn.command('show route table nope'));
    assert.deepEqual(
      seen.map((d) => [d.command, d.reply?.length, d.error?.birdCode]),
      [
        ['show protocols', 8, undefined],
        ['show route table nope', undefined, 9001],
      ],
    );
    assert.ok(seen.every((d) => d.socketPath === fake.path && d.durationMs >= 0));
  } finally {
    diagnosticsChannel.unsubscribe('birdc:command', onMessage);
    await conn.close();
    await fake.stop();
  }
});
