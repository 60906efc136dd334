// A notifier: tells people or systems about attacks (chat, e-mail, a ticket, a webhook). It is called for every
// attack lifecycle event, with the other notifiers in parallel, and can neither delay nor change mitigation.
import type { PluginApiVersion } from './api-version.js';
import type { AttackEvent } from './attack.js';
import type { ConfigOf, PluginConfigSchema } from './config-schema.js';
import type { NotifierContext } from './context.js';

export interface NotifierHooks {
  start?(signal: AbortSignal): void | Promise<void>;
  notify(event: AttackEvent, signal: AbortSignal): void | Promise<void>;
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
