// The FlowSpec rule model. The types live in the plugin SDK (sdk/src/flowspec-rule.ts) because tier plugins
// build rules and the appliance depends on that contract, not the reverse; this file keeps every existing
// import of '../flowspec/rule.js' working. Change the model there.
export type * from '@breakwater/sdk/flowspec-rule';
export { TRAFFIC_ACTION_TYPES, ALL_ACTION_TYPES } from '@breakwater/sdk/flowspec-rule';
