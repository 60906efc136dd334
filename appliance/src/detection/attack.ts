// The attack record and its lifecycle events. The types live in the plugin SDK (sdk/src/attack.ts) because
// notifier and tier plugins receive them and the appliance depends on that contract, not the reverse; this file
// keeps every existing import of '../detection/attack.js' working. Change the record there.
export type * from '@breakwater/sdk/attack';
export { VECTOR_FAMILIES } from '@breakwater/sdk/attack';
