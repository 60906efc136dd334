// A plugin's configuration: the schema it declares (TypeBox, or plain JSON Schema) and the one check that
// turns the operator's settings into ctx.config. The appliance and @breakwater/sdk/testing both call
// checkPluginConfig, so a plugin's unit tests see exactly the validation (and defaults) the appliance applies.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { Static, TSchema } from '@sinclair/typebox';

/** A plain JSON Schema (draft-07 / 2019-09 keywords) for authors who do not use TypeBox. */
export interface JsonSchemaObject {
  type?: string | string[];
  properties?: Record<string, unknown>;
  [keyword: string]: unknown;
}

export type PluginConfigSchema = TSchema | JsonSchemaObject;

/** The type of ctx.config: inferred from a TypeBox schema, a plain record for a JSON Schema. */
export type ConfigOf<S> = S extends TSchema ? Static<S> : Record<string, unknown>;

export interface ConfigProblem {
  /** JSON pointer into the configuration, "/" for the whole object. */
  path: string;
  message: string;
}

export type ConfigCheck<C> = { ok: true; config: C } | { ok: false; problems: ConfigProblem[] };

/**
 * Validates settings against a plugin's schema and fills in the schema's defaults. Never throws on bad input;
 * throws only when the schema itself cannot be compiled (a plugin bug, reported by the caller as such).
 * The input is copied, not changed.
 */
export function checkPluginConfig<S extends PluginConfigSchema>(schema: S, input: unknown): ConfigCheck<ConfigOf<S>> {
  const validate = validatorFor(schema);
  const value = input === undefined ? {} : structuredClone(input);
  if (validate(value)) return { ok: true, config: value as ConfigOf<S> };
  return { ok: false, problems: (validate.errors ?? []).map(describe) };
}

/**
 * Compiled validators by schema object. Compiling costs 20-40 ms of CPU (Ajv generates code), and tiers check
 * their stage settings on every engage, on the path from detection to the route (bench/e2e measured it). Each
 * schema gets its own Ajv instance, as before: plugins' schemas may reuse $id values.
 */
const validators = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: PluginConfigSchema): ValidateFunction {
  let validate = validators.get(schema);
  if (validate === undefined) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false });
    addFormats.default(ajv);
    validate = ajv.compile(schema as object);
    validators.set(schema, validate);
  }
  return validate;
}

function describe(e: ErrorObject): ConfigProblem {
  const extra = e.keyword === 'additionalProperties' ? `: ${String((e.params as { additionalProperty?: unknown }).additionalProperty)}` : '';
  return { path: e.instancePath === '' ? '/' : e.instancePath, message: `${e.message ?? e.keyword}${extra}` };
}
