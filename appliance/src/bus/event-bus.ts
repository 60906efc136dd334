// The internal event bus: typed publish/subscribe inside the controller process. Detection publishes
// attack.started / attack.updated / attack.ended here; the runbook engine, the attack history, notifiers and the
// panel subscribe. A subscriber that throws is counted and logged, never allowed to break the publisher or the
// other subscribers (detection must keep detecting). Synchronous on purpose: events arrive in order, and a
// subscriber with slow work queues it itself. Messages are plain JSON data, so the same subjects can later be
// NATS JetStream subjects without changing either side.
//
// Order of calls: subscribers that asked to be first (the runbook engine: an attack's mitigation must not wait
// behind the capture file, the outbox insert and the history's bookkeeping), then those of the event's type, then
// those of every event, each group in the order it subscribed.
import type { AttackEvent, AttackEventType } from '../detection/attack.js';

export type Handler<E> = (event: E) => void;

export class EventBus<E extends { type: string }> {
  private readonly handlers = new Map<string, Set<Handler<E>>>();
  private readonly any = new Set<Handler<E>>();
  private readonly first = new Set<Handler<E>>();
  /** Events published, and handler calls that threw. */
  published = 0;
  handlerErrors = 0;

  constructor(private readonly onHandlerError: (err: unknown, event: E) => void = () => {}) {}

  /** Subscribes to one event type; returns the unsubscribe function. */
  on<T extends E['type']>(type: T, handler: Handler<Extract<E, { type: T }>>): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    set.add(handler as Handler<E>);
    return () => set.delete(handler as Handler<E>);
  }

  /** Subscribes to every event; `first` puts the handler before every subscriber without it. */
  onAny(handler: Handler<E>, options: { first?: boolean } = {}): () => void {
    const set = options.first === true ? this.first : this.any;
    set.add(handler);
    return () => set.delete(handler);
  }

  publish(event: E): void {
    this.published++;
    for (const h of this.first) this.call(h, event);
    const set = this.handlers.get(event.type);
    if (set) for (const h of set) this.call(h, event);
    for (const h of this.any) this.call(h, event);
  }

  private call(h: Handler<E>, event: E): void {
    try {
      h(event);
    } catch (err) {
      this.handlerErrors++;
      this.onHandlerError(err, event);
    }
  }
}

/** The bus that carries attack lifecycle events. */
export type AttackBus = EventBus<AttackEvent>;
export type { AttackEventType };
