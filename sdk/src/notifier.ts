// A notifier: tells people or systems about attacks (chat, e-mail, a ticket, a webhook). It is called once per
// delivery of a NotificationEvent (every stage of an attack, see notification.ts) by the appliance's outbox,
// which retries it later when it throws; it can neither delay nor change mitigation. A notify hook reports
// why a delivery failed with a DeliveryError (delivery-error.ts): rejected for good, unavailable, rate-limited.
import type { PluginApiVersion } from './api-version.js';
import type { NotificationEvent } from './notification.js';
import type { ConfigOf, PluginConfigSchema } from './config-schema.js';
import type { NotifierContext } from './context.js';

export interface NotifierHooks {
  start?(signal: AbortSignal): void | Promise<void>;
  /**
   * Delivers one event. Resolve when the provider took it; throw (a DeliveryError when the provider answered)
   * when it did not. The same event (same id) may be delivered again after a failure or a restart.
   */
  notify(event: NotificationEvent, signal: AbortSignal): void | Promise<void>;
  stop?(signal: AbortSignal): void | Promise<void>;
}

export interface NotifierDefinition<S extends PluginConfigSchema = PluginConfigSchema> {
  readonly kind: 'notifier';
  /** Must equal the plugin package's name. */
  readonly name: string;
  readonly apiVersion: PluginApiVersion;
  readonly configSchema: S;
  /** Builds the hooks. Runs once per load, synchronously, and must do no I/O (that belongs in start). */
  create(ctx: NotifierContext<ConfigOf<S>>): NotifierHooks;
}

/** Declares a notifier plugin; the package's entry module default-exports the result. */
export function defineNotifier<S extends PluginConfigSchema>(definition: Omit<NotifierDefinition<S>, 'kind'>): NotifierDefinition<S> {
  return Object.freeze({ ...definition, kind: 'notifier' as const });
}
