// The test side of engine-main.ts: starts the engine process inside a namespace, sends it requests, awaits
// the answers, and can kill it with SIGKILL (the crash the persisted state must survive).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnOwned, type OwnedProcess } from '../../support/netns.js';

const MAIN = new URL('./engine-main.ts', import.meta.url).pathname;
const REPO = new URL('../../../../', import.meta.url).pathname;

export class EngineProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private buffer = '';

  private constructor(readonly process: OwnedProcess) {}

  static async start(options: { netns: string; dataDir: string; config: Record<string, unknown>; tiers: { folder: string; config?: unknown }[]; now: number }, timeoutMs = 30_000): Promise<EngineProcess> {
    mkdirSync(options.dataDir, { recursive: true });
    const file = join(options.dataDir, `engine-input-${Date.now()}.json`);
    writeFileSync(file, JSON.stringify({ config: { ...options.config, dataDir: options.dataDir }, tiers: options.tiers, now: options.now }));
    const proc = spawnOwned(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, file], { netns: options.netns, cwd: REPO, stdin: 'pipe' });
    const engine = new EngineProcess(proc);
    let ready: (line: string) => void = () => undefined;
    const readyLine = new Promise<string>((resolve) => (ready = resolve));
    proc.child.stdout!.on('data', (chunk: string) => engine.onData(chunk, ready));
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`engine not ready within ${timeoutMs} ms:\n${proc.output()}`)), timeoutMs).unref());
    const exited = proc.exit.then(() => {
      throw new Error(`engine exited during start:\n${proc.output()}`);
    });
    const status = JSON.parse(await Promise.race([readyLine, timeout, exited])) as { ready: boolean };
    if (!status.ready) throw new Error(`engine failed to start: ${JSON.stringify(status)}\n${proc.output()}`);
    return engine;
  }

  private onData(chunk: string, ready: (line: string) => void): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 1);
      if (!line.startsWith('{')) continue;
      const message = JSON.parse(line) as { id?: number; ok?: boolean; value?: unknown; code?: string; message?: string };
      if (message.id === undefined) {
        ready(line);
        continue;
      }
      const w = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.ok) w?.resolve(message.value);
      else w?.reject(Object.assign(new Error(message.message ?? 'error'), { code: message.code }));
    }
  }

  call<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.process.child.stdin!.write(JSON.stringify({ id, op, args }) + '\n');
    });
  }

  async stop(): Promise<void> {
    if (this.process.exited()) return;
    await this.call('stop').catch(() => undefined);
    await Promise.race([this.process.exit, new Promise((r) => setTimeout(r, 15_000).unref())]);
    await this.process.stop();
  }

  async kill9(): Promise<void> {
    this.process.kill('SIGKILL');
    await this.process.exit;
  }
}
