// Either kind of plugin definition, as the appliance's loader receives it from an entry module.
import type { NotifierDefinition } from './notifier.js';
import type { TierDefinition } from './tier.js';

export type PluginDefinition = TierDefinition | NotifierDefinition;
export type PluginKind = PluginDefinition['kind'];
export const PLUGIN_KINDS: readonly PluginKind[] = ['tier', 'notifier'];
