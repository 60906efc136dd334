// The live event stream (GET /api/v1/events, Server-Sent Events). Each event is serialised once and written to
// every client; a client whose socket is not draining gets its events queued, up to queueLimit, and is
// disconnected past that (a slow panel must not grow the appliance's memory). A comment line every
// heartbeatSeconds keeps idle streams and proxies open. The hub subscribes to the attack and mitigation buses
// itself; route modules publish traffic and peers events through LiveEventPublisher.
import type { ServerResponse } from 'node:http';
import type { AttackBus } from '../bus/event-bus.js';
import type { MitigationBus } from '../mitigation/mitigation-events.js';
import type { LiveEventName, LiveEventPublisher } from './api-types.js';

export interface EventHubOptions {
  queueLimit: number;
  heartbeatSeconds: number;
}

interface Client {
  out: ServerResponse;
  queue: string[];
  waiting: boolean;
}

export class LiveEventHub implements LiveEventPublisher {
  private readonly connected = new Set<Client>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private nextId = 1;
  /** Events published, clients dropped for reading too slowly. */
  published = 0;
  droppedClients = 0;

  constructor(private readonly options: EventHubOptions) {}

  get clients(): number {
    return this.connected.size;
  }

  /** Forwards attack.* and mitigation events to the stream until stop(). */
  subscribe(attacks: AttackBus, mitigations: MitigationBus): void {
    this.unsubscribe.push(
      attacks.onAny((event) => this.publish('attack', event)),
      mitigations.onAny((event) => this.publish('mitigation', event)),
    );
  }

  /** Takes over a response (already hijacked from fastify) as one stream client. */
  attach(out: ServerResponse, headers: Record<string, string>): void {
    out.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    const client: Client = { out, queue: [], waiting: false };
    this.connected.add(client);
    out.on('close', () => this.connected.delete(client));
    out.on('drain', () => this.flush(client));
    this.write(client, `retry: 3000\n: connected\n\n`);
    this.heartbeat ??= setInterval(() => this.broadcast(': heartbeat\n\n'), this.options.heartbeatSeconds * 1000).unref();
  }

  publish(event: LiveEventName, data: unknown): void {
    this.published++;
    if (this.connected.size === 0) return;
    this.broadcast(`id: ${this.nextId++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Ends every stream and the subscriptions. */
  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    for (const c of this.connected) c.out.end();
    this.connected.clear();
  }

  private broadcast(text: string): void {
    for (const c of this.connected) this.write(c, text);
  }

  private write(client: Client, text: string): void {
    if (client.waiting) {
      if (client.queue.length >= this.options.queueLimit) return this.drop(client);
      client.queue.push(text);
      return;
    }
    if (!client.out.write(text)) client.waiting = true;
  }

  private flush(client: Client): void {
    client.waiting = false;
    while (client.queue.length > 0 && !client.waiting) {
      if (!client.out.write(client.queue.shift()!)) client.waiting = true;
    }
  }

  private drop(client: Client): void {
    this.droppedClients++;
    this.connected.delete(client);
    client.queue.length = 0;
    client.out.destroy();
  }
}
