// The errors of the plugin contract. Every failure of a plugin, whether refused at load or failing in a hook,
// reaches the caller as a PluginError naming the plugin, the hook (or load step) and the cause, in the style
// of rollup's plugin errors. The codes are rows of the appliance's one error table (appliance/src/errors.ts,
// documented in docs/errors.md); a test keeps this list and that table in step.

export const PLUGIN_ERROR_CODES = [
  'BW_ERR_PLUGIN_MANIFEST',
  'BW_ERR_PLUGIN_API_VERSION',
  'BW_ERR_PLUGIN_SDK_RANGE',
  'BW_ERR_PLUGIN_DUPLICATE',
  'BW_ERR_PLUGIN_CONFIG',
  'BW_ERR_PLUGIN_LOAD',
  'BW_ERR_PLUGIN_HOOK',
  'BW_ERR_PLUGIN_TIMEOUT',
  'BW_ERR_PLUGIN_UNAVAILABLE',
  'BW_ERR_PLUGIN_NOT_FOUND',
] as const;

export type PluginErrorCode = (typeof PLUGIN_ERROR_CODES)[number];

/** Load steps (before the plugin runs) and hooks (the plugin running). */
export type PluginLoadStep = 'manifest' | 'import' | 'config' | 'create';
export type PluginHookName = 'start' | 'engage' | 'disengage' | 'verify' | 'notify' | 'stop';
export type PluginStage = PluginLoadStep | PluginHookName;

export interface PluginErrorOptions {
  plugin: string;
  hook: PluginStage;
  cause?: unknown;
}

export class PluginError extends Error {
  readonly code: PluginErrorCode;
  /** The plugin's name (its package name). */
  readonly plugin: string;
  /** The load step or hook that failed. */
  readonly hook: PluginStage;

  constructor(code: PluginErrorCode, message: string, options: PluginErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PluginError';
    this.code = code;
    this.plugin = options.plugin;
    this.hook = options.hook;
  }
}

/**
 * True for a PluginError, judged by its fields rather than instanceof: a plugin that bundles its own copy of
 * the SDK, or an error rebuilt from an isolated plugin's message, is still recognised.
 */
export function isPluginError(err: unknown, code?: PluginErrorCode): err is PluginError {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as Partial<PluginError>;
  return (
    typeof e.code === 'string' &&
    (PLUGIN_ERROR_CODES as readonly string[]).includes(e.code) &&
    typeof e.plugin === 'string' &&
    typeof e.hook === 'string' &&
    (code === undefined || e.code === code)
  );
}
