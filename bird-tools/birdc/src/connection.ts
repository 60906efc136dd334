// Owns the Unix stream socket to BIRD's control interface: connecting and reading the greeting,
// the command queue, per-command timeouts and reconnecting after the socket drops.
// It knows replies only as lines with codes (ReplyParser); it must not interpret what a command
// means, which is client.ts's job.
//
// BIRD answers commands strictly in order on one connection, so exactly one command is on the wire
// at a time and the next is written only when the previous reply is complete. If a reply does not
// arrive in time, the connection is torn down and reopened: a late reply would otherwise be taken
// as the answer to the next command.
import { createConnection, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import diagnosticsChannel from 'node:diagnostics_channel';
import { ReplyParser, type ReplyLine } from './reply-parser.js';
import { BirdError, replyError } from './errors.js';

export interface BirdConnectionOptions {
  /** Path of BIRD's control socket (`bird -s PATH`; Debian's default is /run/bird/bird.ctl). */
  socketPath: string;
  /** Default time a command may take from being issued to its last reply line. Default 10 000 ms. */
  commandTimeoutMs?: number;
  /** Time one connection attempt may take to open the socket and read the greeting. Default 5 000 ms. */
  connectTimeoutMs?: number;
  /** First delay before reconnecting; doubles per failed attempt. Default 100 ms. */
  reconnectMinDelayMs?: number;
  /** Upper bound of the reconnect delay. Default 5 000 ms. */
  reconnectMaxDelayMs?: number;
}

export interface CommandOptions {
  /** Overrides the client's commandTimeoutMs for this command. */
  timeoutMs?: number;
}

/**
 * idle: not connected and not trying (before the first command, or after connect() failed);
 * connecting: socket opening or waiting for the greeting; ready: commands can be sent;
 * reconnect-wait: waiting out the backoff delay before the next attempt; closed: close() was called.
 */
export type ConnectionState = 'idle' | 'connecting' | 'ready' | 'reconnect-wait' | 'closed';

export type BirdConnectionEvents = {
  /** The greeting arrived; `version` is the BIRD version it announced. */
  connect: [info: { version: string }];
  /** A ready connection ended; a reconnect follows unless the client is closed. */
  disconnect: [info: { reason: string }];
  /** A connection attempt failed (the retry loop keeps going while commands are waiting). */
  connectError: [error: BirdError];
  /** Asynchronous output (`+` lines, enabled with `echo`), never part of a command's reply. */
  log: [text: string];
};

/** Published on diagnostics_channel 'birdc:command' after every command, only when subscribed. */
export interface CommandDiagnostic {
  socketPath: string;
  command: string;
  durationMs: number;
  reply?: readonly ReplyLine[];
  error?: BirdError;
}

const commandChannel = diagnosticsChannel.channel('birdc:command');

interface PendingCommand {
  readonly text: string;
  readonly issuedAt: number;
  readonly timeoutMs: number;
  readonly resolve: (lines: ReplyLine[]) => void;
  readonly reject: (err: BirdError) => void;
  timer: NodeJS.Timeout | undefined;
}

interface AttemptWaiter {
  readonly resolve: (info: { version: string }) => void;
  readonly reject: (err: BirdError) => void;
}

const GREETING = /^BIRD (?<version>\S+) ready\.?$/;

export class BirdConnection extends EventEmitter<BirdConnectionEvents> {
  readonly socketPath: string;
  readonly #commandTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #reconnectMinDelayMs: number;
  readonly #reconnectMaxDelayMs: number;

  #state: ConnectionState = 'idle';
  #socket: Socket | undefined;
  #socketError: Error | undefined;
  #closeReason: string | undefined;
  #greeted = false;
  #version: string | undefined;
  readonly #parser = new ReplyParser();
  #queue: PendingCommand[] = [];
  #inFlight: PendingCommand | undefined;
  #attemptWaiters: AttemptWaiter[] = [];
  #attemptTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failedAttempts = 0;
  #lastConnectError: BirdError | undefined;
  // Why the current attempt failed before the greeting, when we know better than the socket does.
  #attemptFailure: BirdError | undefined;
  // Whether to keep reconnecting. Off until the first command or the first successful greeting, so
  // that a failing connect() on its own reports the error instead of retrying in the background.
  #keepConnected = false;
  #closed: Promise<void> | undefined;

  constructor(options: BirdConnectionOptions) {
    super();
    if (typeof options?.socketPath !== 'string' || options.socketPath === '') {
      throw new BirdError('BIRDC_ERR_INVALID_ARGUMENT', 'socketPath must be the path of the BIRD control socket');
    }
    this.socketPath = options.socketPath;
    this.#commandTimeoutMs = positive(options.commandTimeoutMs, 10_000, 'commandTimeoutMs');
    this.#connectTimeoutMs = positive(options.connectTimeoutMs, 5_000, 'connectTimeoutMs');
    this.#reconnectMinDelayMs = positive(options.reconnectMinDelayMs, 100, 'reconnectMinDelayMs');
    this.#reconnectMaxDelayMs = Math.max(
      this.#reconnectMinDelayMs,
      positive(options.reconnectMaxDelayMs, 5_000, 'reconnectMaxDelayMs'),
    );
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Version from the most recent greeting, e.g. "2.0.12"; undefined before the first connect. */
  get version(): string | undefined {
    return this.#version;
  }

  /**
   * Opens the connection now and resolves once BIRD's greeting arrived. Rejects with
   * BIRDC_ERR_CONNECT if this attempt fails; on its own that does not start background retries.
   * Calling it is optional: command() connects on demand.
   */
  connect(): Promise<{ version: string }> {
    if (this.#state === 'closed') return Promise.reject(closedError());
    if (this.#state === 'ready') return Promise.resolve({ version: this.#version ?? '' });
    return new Promise((resolve, reject) => {
      this.#attemptWaiters.push({ resolve, reject });
      if (this.#state === 'idle') this.#startAttempt();
      else if (this.#state === 'reconnect-wait') {
        clearTimeout(this.#reconnectTimer);
        this.#reconnectTimer = undefined;
        this.#startAttempt();
      }
    });
  }

  /**
   * Sends one command line and resolves with every line of its reply (including the final one).
   * Rejects with BIRDC_ERR_REPLY when the final line is 8xxx/9xxx. While disconnected the command
   * waits for a reconnect; its timeout counts from this call.
   */
  command(text: string, options: CommandOptions = {}): Promise<ReplyLine[]> {
    const invalid = invalidCommandReason(text);
    if (invalid) {
      return Promise.reject(new BirdError('BIRDC_ERR_INVALID_ARGUMENT', invalid, { command: String(text) }));
    }
    if (this.#state === 'closed') return Promise.reject(closedError(text));
    let timeoutMs: number;
    try {
      timeoutMs = positive(options.timeoutMs, this.#commandTimeoutMs, 'timeoutMs');
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<ReplyLine[]>((resolve, reject) => {
      const pending: PendingCommand = { text, issuedAt: performance.now(), timeoutMs, resolve, reject, timer: undefined };
      pending.timer = setTimeout(() => this.#onCommandTimeout(pending), timeoutMs);
      this.#queue.push(pending);
      this.#keepConnected = true;
      if (this.#state === 'idle') this.#startAttempt();
      this.#pump();
    });
  }

  /**
   * Closes the socket and rejects every queued or in-flight command with BIRDC_ERR_CLOSED.
   * Idempotent; resolves when the socket is closed.
   */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    this.#state = 'closed';
    this.#keepConnected = false;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#attemptTimer);
    const inFlight = this.#inFlight;
    this.#inFlight = undefined;
    if (inFlight) this.#settle(inFlight, closedError(inFlight.text));
    for (const queued of this.#queue.splice(0)) this.#settle(queued, closedError(queued.text));
    for (const waiter of this.#attemptWaiters.splice(0)) waiter.reject(closedError());
    const socket = this.#socket;
    this.#socket = undefined;
    this.#closed =
      socket && !socket.destroyed
        ? new Promise<void>((resolve) => {
            socket.once('close', () => resolve());
            socket.destroy();
          })
        : Promise.resolve();
    return this.#closed;
  }

  #startAttempt(): void {
    this.#state = 'connecting';
    this.#greeted = false;
    this.#socketError = undefined;
    this.#closeReason = undefined;
    this.#attemptFailure = undefined;
    this.#parser.reset();
    const socket = createConnection({ path: this.socketPath });
    this.#socket = socket;
    this.#attemptTimer = setTimeout(() => {
      if (socket !== this.#socket || this.#greeted) return;
      this.#closeReason = `no greeting from BIRD within ${this.#connectTimeoutMs} ms`;
      socket.destroy();
    }, this.#connectTimeoutMs);
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    socket.on('error', (err) => {
      if (socket === this.#socket) this.#socketError = err;
    });
    socket.on('close', () => this.#onClose(socket));
  }

  #onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.#socket) return;
    for (const event of this.#parser.push(chunk)) {
      if (event.kind === 'async') {
        this.emit('log', event.text);
      } else if (event.kind === 'malformed') {
        this.#breakConnection(
          new BirdError('BIRDC_ERR_PROTOCOL', `${event.reason}: ${JSON.stringify(event.line)}`),
        );
        return;
      } else if (!this.#greeted) {
        if (!this.#onGreeting(event.lines)) return;
      } else if (!this.#onReply(event.lines)) {
        return;
      }
    }
  }

  #onGreeting(lines: ReplyLine[]): boolean {
    const first = lines[0];
    const version = first?.code === 1 ? GREETING.exec(first.text)?.groups?.version : undefined;
    if (lines.length !== 1 || version === undefined) {
      const got = lines.map((l) => `${String(l.code).padStart(4, '0')} ${l.text}`).join(' | ');
      this.#breakConnection(
        new BirdError('BIRDC_ERR_PROTOCOL', `expected the greeting "0001 BIRD <version> ready." but got: ${got}`),
      );
      return false;
    }
    clearTimeout(this.#attemptTimer);
    this.#greeted = true;
    this.#version = version;
    this.#state = 'ready';
    this.#failedAttempts = 0;
    this.#lastConnectError = undefined;
    this.#keepConnected = true;
    this.emit('connect', { version });
    for (const waiter of this.#attemptWaiters.splice(0)) waiter.resolve({ version });
    this.#pump();
    return true;
  }

  #onReply(lines: ReplyLine[]): boolean {
    const pending = this.#inFlight;
    if (!pending) {
      this.#breakConnection(new BirdError('BIRDC_ERR_PROTOCOL', 'BIRD sent a reply while no command was in flight'));
      return false;
    }
    this.#inFlight = undefined;
    const last = lines[lines.length - 1];
    if (last !== undefined && last.code >= 8000) this.#settle(pending, replyError(pending.text, lines));
    else this.#settle(pending, lines);
    this.#pump();
    return true;
  }

  /** The stream can no longer be trusted: fail the in-flight command and reconnect. */
  #breakConnection(error: BirdError): void {
    const pending = this.#inFlight;
    this.#inFlight = undefined;
    if (pending) this.#settle(pending, new BirdError(error.code, error.message, { command: pending.text }));
    this.#closeReason = error.message;
    if (!this.#greeted) {
      this.#attemptFailure = new BirdError('BIRDC_ERR_CONNECT', `${this.socketPath}: ${error.message}`, { cause: error });
    }
    this.#socket?.destroy();
  }

  #onClose(socket: Socket): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    clearTimeout(this.#attemptTimer);
    this.#parser.reset();
    const cause = this.#socketError;
    const reason = this.#closeReason ?? (cause ? cause.message : 'BIRD closed the control socket');
    const pending = this.#inFlight;
    this.#inFlight = undefined;
    if (pending) {
      this.#settle(
        pending,
        new BirdError(
          'BIRDC_ERR_DISCONNECTED',
          `connection to ${this.socketPath} lost while \`${pending.text}\` was in flight (${reason}); ` +
            'it may or may not have been executed',
          { command: pending.text, cause },
        ),
      );
    }
    if (this.#greeted) {
      this.#greeted = false;
      this.emit('disconnect', { reason });
    } else {
      this.#failedAttempts += 1;
      const error =
        this.#attemptFailure ??
        new BirdError('BIRDC_ERR_CONNECT', `cannot connect to BIRD at ${this.socketPath}: ${reason}`, { cause });
      this.#lastConnectError = error;
      for (const waiter of this.#attemptWaiters.splice(0)) waiter.reject(error);
      this.emit('connectError', error);
    }
    if (this.#keepConnected) this.#scheduleReconnect();
    else this.#state = 'idle';
  }

  #scheduleReconnect(): void {
    this.#state = 'reconnect-wait';
    const backoff = this.#reconnectMinDelayMs * 2 ** Math.max(0, this.#failedAttempts - 1);
    const delay = Math.min(this.#reconnectMaxDelayMs, backoff);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#state === 'reconnect-wait') this.#startAttempt();
    }, delay);
    // Nothing waiting: the retry loop alone must not keep the process alive.
    if (this.#queue.length === 0) this.#reconnectTimer.unref();
  }

  #pump(): void {
    // A socket being torn down (timeout, protocol error) is destroyed before its 'close' event:
    // nothing may be written to it in between.
    if (this.#state !== 'ready' || this.#inFlight || !this.#socket || this.#socket.destroyed) return;
    const next = this.#queue.shift();
    if (!next) return;
    this.#inFlight = next;
    this.#socket.write(`${next.text}\n`);
  }

  #onCommandTimeout(pending: PendingCommand): void {
    pending.timer = undefined;
    if (pending === this.#inFlight) {
      this.#inFlight = undefined;
      this.#settle(
        pending,
        new BirdError(
          'BIRDC_ERR_TIMEOUT',
          `BIRD did not finish answering \`${pending.text}\` within ${pending.timeoutMs} ms; ` +
            'reconnecting so that a late reply cannot be taken for the next command',
          { command: pending.text },
        ),
      );
      this.#closeReason = `\`${pending.text}\` timed out`;
      this.#socket?.destroy();
      return;
    }
    const index = this.#queue.indexOf(pending);
    if (index === -1) return;
    this.#queue.splice(index, 1);
    const waitingFor =
      this.#state === 'ready'
        ? 'earlier commands'
        : `a connection to ${this.socketPath}` +
          (this.#lastConnectError ? ` (last attempt: ${this.#lastConnectError.message})` : '');
    this.#settle(
      pending,
      new BirdError(
        'BIRDC_ERR_TIMEOUT',
        `\`${pending.text}\` was not sent within ${pending.timeoutMs} ms while waiting for ${waitingFor}`,
        { command: pending.text, cause: this.#state === 'ready' ? undefined : this.#lastConnectError },
      ),
    );
  }

  #settle(pending: PendingCommand, outcome: ReplyLine[] | BirdError): void {
    clearTimeout(pending.timer);
    pending.timer = undefined;
    if (commandChannel.hasSubscribers) {
      const diagnostic: CommandDiagnostic = {
        socketPath: this.socketPath,
        command: pending.text,
        durationMs: performance.now() - pending.issuedAt,
      };
      if (outcome instanceof BirdError) diagnostic.error = outcome;
      else diagnostic.reply = outcome;
      commandChannel.publish(diagnostic);
    }
    if (outcome instanceof BirdError) pending.reject(outcome);
    else pending.resolve(outcome);
  }
}

function closedError(command?: string): BirdError {
  return new BirdError('BIRDC_ERR_CLOSED', 'the BIRD client was closed', { command });
}

function invalidCommandReason(text: unknown): string | undefined {
  if (typeof text !== 'string') return 'a command must be a string';
  if (text.trim() === '') return 'a command must not be empty';
  // One command is one line: a newline would smuggle in a second command whose reply we would
  // then attribute to the wrong caller.
  if (/[\r\n\0]/.test(text)) return 'a command must be a single line (no CR, LF or NUL)';
  return undefined;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new BirdError('BIRDC_ERR_INVALID_ARGUMENT', `${name} must be a positive number of milliseconds`);
  }
  return value;
}
