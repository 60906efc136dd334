// Lets a plugin dropped into the plugin directory import `@breakwater/sdk` without shipping its own copy:
// when Node cannot resolve the SDK from the plugin's folder, a module resolve hook answers with the
// appliance's own SDK. A plugin that installed or bundled its own SDK keeps it (its manifest's SDK range was
// checked against this appliance's SDK before import, so either copy speaks the same API version).
// The hook module is a data: URL, so it needs no file next to the bundle and works from src/ and dist/ alike.
import { register } from 'node:module';

const SDK = '@breakwater/sdk';
const SUBPATHS = ['', '/testing', '/attack', '/flowspec-rule'] as const;

const hookSource = `
let targets = {};
export async function initialize(data) { targets = data; }
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const target = err && err.code === 'ERR_MODULE_NOT_FOUND' ? targets[specifier] : undefined;
    if (target === undefined) throw err;
    return { url: target, shortCircuit: true };
  }
}`;

let registered = false;

/** The appliance's own resolution of each SDK entry point, as the hook will answer it. */
export function applianceSdkUrls(): Record<string, string> {
  const targets: Record<string, string> = {};
  for (const sub of SUBPATHS) targets[SDK + sub] = import.meta.resolve(SDK + sub);
  return targets;
}

/** Installs the fallback resolve hook once per process (the appliance and each plugin child call it). */
export function provideSdkToPlugins(): void {
  if (registered) return;
  registered = true;
  register(`data:text/javascript,${encodeURIComponent(hookSource)}`, { data: applianceSdkUrls() });
}
