// The two version numbers a plugin is checked against before any of its code runs.
//
// PLUGIN_API_VERSION is the contract: the hooks, their arguments and the messages they carry. It is an
// integer and changes only when a plugin written for the old one would misbehave; the appliance refuses a
// plugin whose manifest or definition names another one (fail closed). SDK_VERSION is this package's semver
// version, checked against the range a plugin's package.json gives for @breakwater/sdk (a test keeps it equal
// to package.json).

export const PLUGIN_API_VERSION = 1;
export type PluginApiVersion = typeof PLUGIN_API_VERSION;

export const SDK_VERSION = '0.1.0';
