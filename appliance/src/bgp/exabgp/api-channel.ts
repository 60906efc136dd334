// The controller's end of ExaBGP's process API: a Unix socket server the bridge connects to, a FIFO of
// commands awaiting ExaBGP's `done` / `error` ack (ExaBGP answers strictly in order, so commands are
// pipelined: 1,000 announcements are written at once and their acks matched as they come), and the JSON
// events ExaBGP sends (neighbor state). One bridge connection at a time: a newer one replaces an older one,
// and commands in flight on a dropped connection fail with BW_ERR_SPEAKER_UNAVAILABLE, as their fate is unknown.
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { BreakwaterError } from '../../errors.js';
import type { Logger } from '../../log.js';

export interface ExabgpStateEvent {
  peer: string;
  state: string;
}

export interface ApiChannelEvents {
  /** A bridge connected (ExaBGP started or respawned its process, or the bridge reconnected). */
  connect: [];
  disconnect: [];
  state: [event: ExabgpStateEvent];
}

interface PendingCommand {
  command: string;
  output: string[];
  resolve: (output: string[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class ExabgpApiChannel extends EventEmitter<ApiChannelEvents> {
  private server: Server | undefined;
  private socket: Socket | undefined;
  private pending: PendingCommand[] = [];
  private buffer = '';

  constructor(private readonly socketPath: string, private readonly log: Logger, private readonly commandTimeoutMs = 30_000) {
    super();
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  async listen(): Promise<void> {
    await rm(this.socketPath, { force: true });
    const server = createServer((socket) => this.adopt(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  async close(): Promise<void> {
    this.dropSocket('the API channel is closing');
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(this.socketPath, { force: true });
  }

  /** Sends one command line; resolves with any output lines ExaBGP printed before `done`. */
  send(command: string): Promise<string[]> {
    const socket = this.socket;
    if (socket === undefined) return Promise.reject(new BreakwaterError('BW_ERR_SPEAKER_UNAVAILABLE', ['exabgp', 'the API bridge is not connected']));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // The ack order is lost once one command goes unanswered: reset the connection, the bridge reconnects.
        this.dropSocket(`no ack within ${this.commandTimeoutMs} ms for: ${command}`);
      }, this.commandTimeoutMs);
      this.pending.push({ command, output: [], resolve, reject, timer });
      socket.write(command + '\n');
    });
  }

  private adopt(socket: Socket): void {
    if (this.socket !== undefined) this.dropSocket('a newer bridge connection replaced this one');
    this.socket = socket;
    this.buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', (err) => this.log.debug({ err }, 'ExaBGP bridge socket error'));
    socket.on('close', () => {
      if (this.socket === socket) this.dropSocket('the API bridge disconnected');
    });
    this.log.info('ExaBGP API bridge connected');
    this.emit('connect');
  }

  private dropSocket(reason: string): void {
    const socket = this.socket;
    if (socket === undefined) return;
    this.socket = undefined;
    socket.destroy();
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new BreakwaterError('BW_ERR_SPEAKER_UNAVAILABLE', ['exabgp', reason]));
    }
    this.log.warn({ reason }, 'ExaBGP API bridge disconnected');
    this.emit('disconnect');
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, end).trimEnd();
      this.buffer = this.buffer.slice(end + 1);
      if (line.length > 0) this.onLine(line);
    }
  }

  private onLine(line: string): void {
    if (line === 'done' || line === 'error') {
      const p = this.pending.shift();
      if (p === undefined) {
        this.log.warn({ line }, 'ExaBGP ack with no command waiting');
        return;
      }
      clearTimeout(p.timer);
      if (line === 'done') p.resolve(p.output);
      else p.reject(new BreakwaterError('BW_ERR_SPEAKER_COMMAND', ['exabgp', p.command, `ExaBGP answered "error"${p.output.length > 0 ? `: ${p.output.join(' ')}` : ''}`]));
      return;
    }
    if (line.startsWith('{')) {
      this.onJson(line);
      return;
    }
    // Text output of a `show` command comes before its ack.
    this.pending[0]?.output.push(line);
  }

  private onJson(line: string): void {
    let message: { type?: string; neighbor?: { address?: { peer?: string }; state?: string } };
    try {
      message = JSON.parse(line);
    } catch {
      this.log.warn({ line: line.slice(0, 200) }, 'ExaBGP sent a line that is not JSON');
      return;
    }
    if (message.type === 'state' && message.neighbor?.address?.peer !== undefined && message.neighbor.state !== undefined) {
      this.emit('state', { peer: message.neighbor.address.peer, state: message.neighbor.state });
    }
  }
}
