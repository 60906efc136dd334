// @breakwater/sdk: the contract between Breakwater and its plugins. Kept small on purpose: every export here is
// a promise to plugin authors, and api-report.d.ts (regenerated and compared by a test) shows each change.
export { PLUGIN_API_VERSION, SDK_VERSION, type PluginApiVersion } from './api-version.js';
export { defineTier, type TierDefinition, type TierHooks, type RunbookStage, type Engagement, type EngagementStatus } from './tier.js';
export { defineNotifier, type NotifierDefinition, type NotifierHooks } from './notifier.js';
export { PLUGIN_KINDS, type PluginDefinition, type PluginKind } from './plugin-definition.js';
export type { PluginContext, TierContext, NotifierContext } from './context.js';
export type { BgpFacade } from './bgp-facade.js';
export type { FirewallFacade, FirewallRule, FirewallAction, FirewallCounters } from './firewall-facade.js';
export type { MitigationOptions, MitigationReceipt } from './mitigation-options.js';
export type { PluginLogger, PluginLogFn, PluginLogLevel } from './logger.js';
export { METRIC_NAME_PATTERN, type PluginMetrics, type PluginCounter, type PluginGauge } from './metrics.js';
export { checkPluginConfig, type PluginConfigSchema, type JsonSchemaObject, type ConfigOf, type ConfigCheck, type ConfigProblem } from './config-schema.js';
export { PluginError, isPluginError, PLUGIN_ERROR_CODES, type PluginErrorCode, type PluginErrorOptions, type PluginStage, type PluginLoadStep, type PluginHookName } from './errors.js';
export type { JsonValue, JsonObject, JsonPrimitive } from './json.js';
export type * from './attack.js';
export type * from './notification.js';
export { NOTIFICATION_EVENT_TYPES } from './notification.js';
export { DeliveryError, isDeliveryError, DELIVERY_ERROR_CODES, type DeliveryErrorCode, type DeliveryErrorOptions } from './delivery-error.js';
export { VECTOR_FAMILIES } from './attack.js';
export type * from './flowspec-rule.js';
export { TRAFFIC_ACTION_TYPES, ALL_ACTION_TYPES } from './flowspec-rule.js';
// TypeBox, re-exported so a plugin declares its configSchema with the same library the appliance reads it with.
export { Type, type Static, type TSchema } from '@sinclair/typebox';
