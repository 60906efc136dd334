// Owns the typed helpers over one BirdConnection: it builds command lines (command-text.ts),
// sends them, and hands replies to the parsers in parse/. It holds no state of its own beyond the
// connection, and it does not retry: a failed command is reported to the caller as a BirdError.
import { EventEmitter } from 'node:events';
import {
  BirdConnection,
  type BirdConnectionEvents,
  type BirdConnectionOptions,
  type CommandOptions,
  type ConnectionState,
} from './connection.js';
import { BirdError, isBirdError, replyError } from './errors.js';
import type { ReplyLine } from './reply-parser.js';
import { address, network, protocolSpec, quoted, symbol, wholeSeconds } from './command-text.js';
import { parseStatus, type BirdStatus } from './parse/status.js';
import {
  parseProtocolActions,
  parseProtocols,
  parseProtocolsWithDetails,
  type ProtocolActionResult,
  type ProtocolRow,
  type ProtocolWithDetails,
} from './parse/protocols.js';
import { parseRouteCount, parseRoutes, type Route, type RouteCount } from './parse/routes.js';
import { parseConfigureResult, type ConfigureResult } from './parse/configure.js';
import { unexpectedReply } from './parse/unexpected.js';

export type BirdClientOptions = BirdConnectionOptions;

export interface ShowRoutesOptions extends CommandOptions {
  /** Table name (`show route table T`); BIRD's default is the master tables. `all` for every table. */
  table?: string;
  /** Exact network, e.g. "203.0.113.10/32". */
  prefix?: string;
  /** Longest match for an address (`show route for A`); exclusive with prefix. */
  for?: string;
  /** Only routes from this protocol. */
  protocol?: string;
  /** Only the primary (best) route of each network. */
  primary?: boolean;
  /** `all`: include the route type and every attribute (communities, AS path, ...). */
  all?: boolean;
}

export interface CountRoutesOptions extends CommandOptions {
  protocol?: string;
  primary?: boolean;
}

export interface ConfigureOptions extends CommandOptions {
  /** `configure check`: parse the file and report, change nothing. */
  check?: boolean;
  /** `configure soft`: do not restart protocols whose filters changed (keeps BGP sessions up). */
  soft?: boolean;
  /** Config file to read instead of the one BIRD was started with. */
  file?: string;
  /**
   * BIRD's `configure timeout N`: undo the change automatically after N seconds unless
   * configureConfirm() is called. Seconds, and unrelated to timeoutMs (the reply timeout).
   */
  timeout?: number;
}

export interface ReloadOptions extends CommandOptions {
  /** Re-import (`in`), re-export (`out`) or both (default). */
  direction?: 'in' | 'out';
}

export interface ShowProtocolOptions extends CommandOptions {
  all?: boolean;
}

export class BirdClient extends EventEmitter<BirdConnectionEvents> {
  readonly #connection: BirdConnection;

  constructor(options: BirdClientOptions) {
    super();
    this.#connection = new BirdConnection(options);
    this.#connection.on('connect', (info) => this.emit('connect', info));
    this.#connection.on('disconnect', (info) => this.emit('disconnect', info));
    this.#connection.on('connectError', (error) => this.emit('connectError', error));
    this.#connection.on('log', (text) => this.emit('log', text));
  }

  get socketPath(): string {
    return this.#connection.socketPath;
  }

  get state(): ConnectionState {
    return this.#connection.state;
  }

  /** BIRD version from the most recent greeting. */
  get version(): string | undefined {
    return this.#connection.version;
  }

  /** Connects now (optional: commands connect on demand). Rejects with BIRDC_ERR_CONNECT. */
  connect(): Promise<{ version: string }> {
    return this.#connection.connect();
  }

  /** Closes the socket; queued and in-flight commands reject with BIRDC_ERR_CLOSED. */
  close(): Promise<void> {
    return this.#connection.close();
  }

  /** Any single-line command; resolves with every reply line, including the final one. */
  command(text: string, options?: CommandOptions): Promise<ReplyLine[]> {
    return this.#connection.command(text, options);
  }

  async showStatus(options?: CommandOptions): Promise<BirdStatus> {
    return parseStatus(await this.command('show status', options));
  }

  async showProtocols(options?: CommandOptions): Promise<ProtocolRow[]> {
    return parseProtocols(await this.command('show protocols', options));
  }

  /** One protocol; with `all: true` its detail block (BGP state, channels, route counters). */
  showProtocol(name: string, options: ShowProtocolOptions & { all: true }): Promise<ProtocolWithDetails>;
  showProtocol(name: string, options?: ShowProtocolOptions): Promise<ProtocolRow | ProtocolWithDetails>;
  async showProtocol(name: string, options: ShowProtocolOptions = {}): Promise<ProtocolRow | ProtocolWithDetails> {
    const text = `show protocols${options.all ? ' all' : ''} ${symbol(name, 'protocol')}`;
    const reply = await this.command(text, options);
    const rows = options.all ? parseProtocolsWithDetails(reply) : parseProtocols(reply);
    const row = rows.find((r) => r.name === name);
    if (!row) throw unexpectedReply(`protocol ${name}`, reply, text);
    return row;
  }

  /**
   * Routes, parsed. A `prefix` or `for` lookup that matches nothing resolves to [] (BIRD answers
   * those with "8001 Network not found", which is not a failure of the command).
   */
  async showRoutes(options: ShowRoutesOptions = {}): Promise<Route[]> {
    if (options.prefix !== undefined && options.for !== undefined) {
      throw new BirdError(
        'BIRDC_ERR_INVALID_ARGUMENT',
        'showRoutes takes either prefix or for, not both',
      );
    }
    let text = 'show route';
    if (options.for !== undefined) text += ` for ${address(options.for)}`;
    if (options.prefix !== undefined) text += ` ${network(options.prefix)}`;
    if (options.table !== undefined) text += ` table ${symbol(options.table, 'table')}`;
    if (options.protocol !== undefined) text += ` protocol ${symbol(options.protocol, 'protocol')}`;
    if (options.primary) text += ' primary';
    if (options.all) text += ' all';
    try {
      return parseRoutes(await this.command(text, options));
    } catch (err) {
      if (isBirdError(err, 'BIRDC_ERR_REPLY') && err.birdCode === 8001) return [];
      throw err;
    }
  }

  /** `show route [table T] count`: totals, and per table when several are counted. */
  async countRoutes(table?: string, options: CountRoutesOptions = {}): Promise<RouteCount> {
    let text = 'show route';
    if (table !== undefined) text += ` table ${symbol(table, 'table')}`;
    if (options.protocol !== undefined) text += ` protocol ${symbol(options.protocol, 'protocol')}`;
    if (options.primary) text += ' primary';
    text += ' count';
    return parseRouteCount(await this.command(text, options));
  }

  /**
   * `configure [soft|check] ["file"] [timeout N]`. Resolves with the status BIRD reported
   * (reconfigured, ok for check, in-progress, queued, ...). A file that cannot be read or parsed
   * rejects with BIRDC_ERR_REPLY, birdCode 8002 and `location` { file, line, column, message }.
   */
  async configure(options: ConfigureOptions = {}): Promise<ConfigureResult> {
    let text = 'configure';
    if (options.check) {
      if (options.soft || options.timeout !== undefined) {
        throw new BirdError(
          'BIRDC_ERR_INVALID_ARGUMENT',
          'configure check takes only a file: soft and timeout apply to a real reconfiguration',
        );
      }
      text += ' check';
    } else if (options.soft) {
      text += ' soft';
    }
    if (options.file !== undefined) text += ` ${quoted(options.file, 'file')}`;
    if (options.timeout !== undefined) text += ` timeout ${wholeSeconds(options.timeout, 'timeout')}`;
    return parseConfigureResult(await this.command(text, options));
  }

  /** Keeps a configuration applied with `timeout` (cancels the automatic undo). */
  async configureConfirm(options?: CommandOptions): Promise<ConfigureResult> {
    return parseConfigureResult(await this.command('configure confirm', options));
  }

  /** Returns to the configuration before the last `configure ... timeout`. */
  async configureUndo(options?: CommandOptions): Promise<ConfigureResult> {
    return parseConfigureResult(await this.command('configure undo', options));
  }

  enable(protocol: string, options?: CommandOptions): Promise<ProtocolActionResult[]> {
    return this.#protocolAction('enable', protocol, options);
  }

  disable(protocol: string, options?: CommandOptions): Promise<ProtocolActionResult[]> {
    return this.#protocolAction('disable', protocol, options);
  }

  restart(protocol: string, options?: CommandOptions): Promise<ProtocolActionResult[]> {
    return this.#protocolAction('restart', protocol, options);
  }

  reload(protocol: string, options: ReloadOptions = {}): Promise<ProtocolActionResult[]> {
    const verb = options.direction === undefined ? 'reload' : `reload ${options.direction === 'in' ? 'in' : 'out'}`;
    return this.#protocolAction(verb, protocol, options);
  }

  /**
   * `protocol` is a name, `all`, or a pattern such as `bw_*`. Resolves with one result per matching
   * protocol; a per-protocol failure line (8006 "reload failed") rejects with BIRDC_ERR_REPLY.
   */
  async #protocolAction(verb: string, protocol: string, options?: CommandOptions): Promise<ProtocolActionResult[]> {
    const text = `${verb} ${protocolSpec(protocol)}`;
    const reply = await this.command(text, options);
    const failed = reply.find((line) => line.code >= 8000);
    if (failed) throw replyError(text, reply, failed);
    return parseProtocolActions(reply);
  }
}

export function createBirdClient(options: BirdClientOptions): BirdClient {
  return new BirdClient(options);
}
