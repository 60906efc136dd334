// The messages between the appliance and an isolated plugin's child process, over Node's IPC channel (JSON
// serialisation). Plain data only: hook calls and their results, the plugin's facade calls back to the
// appliance, its log lines and metric updates. What the child sends is checked against these schemas before
// it is used (validate at the boundary): a plugin's process is not trusted to speak the protocol.
import { Type, type Static } from '@sinclair/typebox';
import type { PluginKind } from '@breakwater/sdk';
import type { CallableHook } from './plugin-handle.js';

// --- appliance -> child ---------------------------------------------------------------------------------

export type HostMessage =
  /** First message after spawn: load the plugin (import, config, create, start). */
  | { t: 'load'; plugin: { name: string; dir: string; kind: PluginKind; entry: string }; config: unknown }
  | { t: 'call'; id: number; hook: CallableHook; args: unknown[] }
  /** The call's timeout passed: abort its signal. */
  | { t: 'abort'; id: number }
  /** Liveness: answered with pong unless the child's event loop is blocked. */
  | { t: 'ping'; id: number }
  | { t: 'facade-result'; id: number; ok: true; value?: unknown }
  | { t: 'facade-result'; id: number; ok: false; error: WireError }
  /** Run the stop hook, answer stopped; the process is then ended by its supervisor. */
  | { t: 'stop' };

// --- child -> appliance ---------------------------------------------------------------------------------

const WireErrorSchema = Type.Object({
  name: Type.String(),
  message: Type.String(),
  code: Type.Optional(Type.String()),
  hook: Type.Optional(Type.String()),
  stack: Type.Optional(Type.String()),
});
export type WireError = Static<typeof WireErrorSchema>;

const Level = Type.Union([Type.Literal('trace'), Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error'), Type.Literal('fatal')]);

export const ChildMessageSchema = Type.Union([
  /** The child listens for messages: the appliance may send load. */
  Type.Object({ t: Type.Literal('ready') }),
  /** Loaded; hooks names the optional hooks the plugin has (start, verify, stop). */
  Type.Object({ t: Type.Literal('loaded'), hooks: Type.Array(Type.String()) }),
  Type.Object({ t: Type.Literal('refused'), error: WireErrorSchema }),
  // value is optional on the wire: JSON drops an undefined one (a hook that returns nothing).
  Type.Object({ t: Type.Literal('result'), id: Type.Integer(), ok: Type.Literal(true), value: Type.Optional(Type.Unknown()) }),
  Type.Object({ t: Type.Literal('result'), id: Type.Integer(), ok: Type.Literal(false), error: WireErrorSchema }),
  Type.Object({ t: Type.Literal('pong'), id: Type.Integer() }),
  Type.Object({
    t: Type.Literal('facade'),
    id: Type.Integer(),
    facade: Type.Union([Type.Literal('bgp'), Type.Literal('firewall')]),
    method: Type.String(),
    args: Type.Array(Type.Unknown()),
  }),
  Type.Object({ t: Type.Literal('log'), level: Level, bindings: Type.Record(Type.String(), Type.Unknown()), message: Type.String() }),
  Type.Object({
    t: Type.Literal('metric'),
    type: Type.Union([Type.Literal('counter'), Type.Literal('gauge')]),
    name: Type.String(),
    help: Type.String(),
    op: Type.Union([Type.Literal('inc'), Type.Literal('set'), Type.Literal('dec')]),
    value: Type.Number(),
  }),
  Type.Object({ t: Type.Literal('stopped') }),
]);
export type ChildMessage = Static<typeof ChildMessageSchema>;

/** The facade methods a child may ask for; anything else is refused. */
export const FACADE_METHODS = {
  bgp: ['announceFlow', 'withdrawFlow', 'announceBlackhole', 'withdrawBlackhole', 'announceDiversion', 'withdrawDiversion'],
  firewall: ['apply', 'remove', 'counters'],
} as const;

export function toWireError(err: unknown): WireError {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; hook?: unknown };
    return {
      name: e.name,
      message: e.message,
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      ...(typeof e.hook === 'string' ? { hook: e.hook } : {}),
      ...(e.stack !== undefined ? { stack: e.stack } : {}),
    };
  }
  return { name: 'Error', message: typeof err === 'string' ? err : JSON.stringify(err) ?? String(err) };
}

/** An Error again, with the code the other side gave it, so callers can test err.code as usual. */
export function fromWireError(wire: WireError): Error & { code?: string } {
  const err = new Error(wire.message) as Error & { code?: string };
  err.name = wire.name;
  if (wire.code !== undefined) err.code = wire.code;
  if (wire.stack !== undefined) err.stack = wire.stack;
  return err;
}
