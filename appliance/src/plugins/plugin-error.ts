// Builds the SDK's PluginError with the message from the appliance's one error table, so a refused or failing
// plugin reads the same in the log, the CLI and docs/errors.md.
import { PluginError, type PluginErrorCode, type PluginStage } from '@breakwater/sdk';
import { BreakwaterError } from '../errors.js';

export function pluginError(code: PluginErrorCode, plugin: string, hook: PluginStage, args: readonly unknown[], cause?: unknown): PluginError {
  // BreakwaterError owns the %s formatting; only its message is taken.
  const message = new BreakwaterError(code, args).message;
  return new PluginError(code, message, cause === undefined ? { plugin, hook } : { plugin, hook, cause });
}

/** The one-line text of whatever a plugin threw (it may throw anything, not only Errors). */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  try {
    return typeof thrown === 'string' ? thrown : JSON.stringify(thrown) ?? String(thrown);
  } catch {
    return String(thrown);
  }
}
