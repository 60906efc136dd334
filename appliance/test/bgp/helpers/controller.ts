// The test side of controller-main.ts: starts a controller process in a namespace, sends it requests and
// awaits the answers, and can kill it with SIGKILL (the crash the desired state must survive).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BgpConfig } from '../../../src/config/schema.js';
import type { DesiredFlowRoute, DesiredRoute, DesiredRtbhRoute, FlowAnnouncement, PeerStatus, ReconcileReport, RtbhAnnouncement } from '../../../src/bgp/speaker.js';
import { spawnOwned, type OwnedProcess } from '../../support/netns.js';

const MAIN = new URL('./controller-main.ts', import.meta.url).pathname;
const REPO = new URL('../../../../', import.meta.url).pathname;

export class ControllerError extends Error {
  constructor(readonly code: string | undefined, message: string) {
    super(message);
  }
}

export interface ControllerOptions {
  netns: string;
  dataDir: string;
  bgp: Partial<BgpConfig> & Record<string, unknown>;
}

export class Controller {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private buffer = '';

  private constructor(readonly process: OwnedProcess) {}

  static async start(options: ControllerOptions, startTimeoutMs = 30_000): Promise<Controller> {
    mkdirSync(options.dataDir, { recursive: true });
    const configFile = join(options.dataDir, 'controller-config.json');
    writeFileSync(configFile, JSON.stringify({ dataDir: options.dataDir, bgp: options.bgp }));
    const proc = spawnOwned(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, configFile], { netns: options.netns, cwd: REPO, stdin: 'pipe' });
    const controller = new Controller(proc);
    let readyLine: (line: string) => void = () => undefined;
    const ready = new Promise<string>((resolve) => (readyLine = resolve));
    proc.child.stdout!.on('data', (chunk: string) => controller.onData(chunk, readyLine));
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`controller not ready within ${startTimeoutMs} ms:\n${proc.output()}`)), startTimeoutMs).unref());
    const exited = proc.exit.then(() => {
      throw new Error(`controller exited during start:\n${proc.output()}`);
    });
    try {
      const line = await Promise.race([ready, timeout, exited]);
      const status = JSON.parse(line) as { ready: boolean; message?: string; problems?: unknown };
      if (!status.ready) throw new Error(`controller failed to start: ${line}\n${proc.output()}`);
    } catch (err) {
      await proc.stop();
      throw err;
    }
    // A request to a controller that died is answered by its death, not awaited forever.
    void proc.exit.then(() => {
      for (const w of controller.waiting.values()) w.reject(new ControllerError(undefined, `the controller exited:\n${proc.output()}`));
      controller.waiting.clear();
    });
    return controller;
  }

  private onData(chunk: string, readyLine: (line: string) => void): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 1);
      if (!line.startsWith('{')) continue;
      const message = JSON.parse(line) as { id?: number; ok?: boolean; value?: unknown; code?: string; message?: string; ready?: boolean };
      if (message.id === undefined) {
        readyLine(line);
        continue;
      }
      const w = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.ok) w?.resolve(message.value);
      else w?.reject(new ControllerError(message.code, message.message ?? 'error'));
    }
  }

  call<T>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    if (this.process.exited()) return Promise.reject(new ControllerError(undefined, `the controller has exited; ${op} not sent`));
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.process.child.stdin!.write(JSON.stringify({ id, op, args }) + '\n');
    });
  }

  announceFlow(a: FlowAnnouncement): Promise<DesiredFlowRoute> {
    return this.call('announceFlow', a);
  }
  withdrawFlow(id: string): Promise<boolean> {
    return this.call('withdrawFlow', id);
  }
  announceRtbh(a: RtbhAnnouncement): Promise<DesiredRtbhRoute> {
    return this.call('announceRtbh', a);
  }
  withdrawRtbh(id: string): Promise<boolean> {
    return this.call('withdrawRtbh', id);
  }
  desiredRoutes(): Promise<DesiredRoute[]> {
    return this.call('desiredRoutes');
  }
  peers(): Promise<PeerStatus[]> {
    return this.call('peers');
  }
  reconcile(): Promise<ReconcileReport> {
    return this.call('reconcile');
  }

  /** Graceful stop (bgp.shutdown decides what happens to the routes). */
  async stop(): Promise<void> {
    if (this.process.exited()) return;
    await this.call('stop').catch(() => undefined);
    await Promise.race([this.process.exit, new Promise((r) => setTimeout(r, 15_000).unref())]);
    await this.process.stop();
  }

  /** The crash: SIGKILL, no cleanup, daemons left as they are. */
  async kill9(): Promise<void> {
    this.process.kill('SIGKILL');
    await this.process.exit;
  }
}
