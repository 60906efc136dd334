// Reads a FlowSpecRule from its JSON form (a REST body, a plugin message, stored state): unknown keys are
// rejected at every level and the first problem is reported with its path. This is the shape check only;
// call validateFlowSpecRule afterwards for ranges, prefixes, protected networks and action conflicts.
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { BreakwaterError } from '../errors.js';
import { ActionSchemas, FlowSpecRuleSchema } from './rule-schema.js';
import type { FlowSpecRule } from './rule.js';

/** Parses JSON text or an already-parsed value. Throws BW_ERR_FLOWSPEC_INVALID or BW_ERR_FLOWSPEC_NO_DESTINATION. */
export function parseFlowSpecRule(input: unknown): FlowSpecRule {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new BreakwaterError('BW_ERR_FLOWSPEC_INVALID', ['(text)', `not JSON: ${(err as Error).message}`], { cause: err });
    }
  }
  if (!isObject(value)) throw invalid('(rule)', 'a rule is an object with family, match and actions');
  // A missing destination is the one shape problem with its own code: routers reject such rules outright.
  if (isObject(value.match) && value.match.destination === undefined) {
    throw new BreakwaterError('BW_ERR_FLOWSPEC_NO_DESTINATION', ['match.destination']);
  }
  // Actions are checked one by one against their own type's schema: TypeBox would otherwise only say that
  // an action matches none of the union's members.
  if (Array.isArray(value.actions)) {
    value.actions.forEach((action: unknown, i) => {
      const type = isObject(action) ? action.type : undefined;
      const schema = typeof type === 'string' ? (ActionSchemas as Record<string, TSchema>)[type] : undefined;
      if (schema === undefined) {
        throw invalid(`actions[${i}].type`, `${JSON.stringify(type)} is not one of ${Object.keys(ActionSchemas).join(', ')}`);
      }
      firstProblem(schema, action, `actions[${i}]`);
    });
  }
  firstProblem(FlowSpecRuleSchema, value, '');
  return value as unknown as FlowSpecRule;
}

function firstProblem(schema: TSchema, value: unknown, base: string): void {
  const first = Value.Errors(schema, value).First();
  if (first === undefined) return;
  const union = (first.schema as { anyOf?: TSchema[] }).anyOf;
  const member = union === undefined ? undefined : discriminatedMember(union, first.value);
  // An object inside a discriminated union (route targets): report the member's own first problem.
  if (member !== undefined) return firstProblem(member, first.value, base + jsonPointerToField(first.path));
  const field = (base + jsonPointerToField(first.path)).replace(/^\./, '') || '(rule)';
  if (first.message.includes('additional properties') || first.message.includes('Unexpected property')) throw invalid(field, 'unknown key');
  const options = union?.map((s) => (s as { const?: unknown }).const);
  const expected =
    options !== undefined && options.every((o) => o !== undefined) ? `expected one of ${options.map((o) => JSON.stringify(o)).join(', ')}` : first.message;
  throw invalid(field, `${expected} (got ${JSON.stringify(first.value) ?? 'nothing'})`);
}

/** The union member whose literal-valued properties (e.g. format: "as2") the value carries, if exactly one. */
function discriminatedMember(members: TSchema[], value: unknown): TSchema | undefined {
  if (!isObject(value)) return undefined;
  const matching = members.filter((m) => {
    const props = (m as { properties?: Record<string, { const?: unknown }> }).properties;
    if (props === undefined) return false;
    const literals = Object.entries(props).filter(([, p]) => p.const !== undefined);
    return literals.length > 0 && literals.every(([k, p]) => value[k] === p.const);
  });
  return matching.length === 1 ? matching[0] : undefined;
}

/** "/match/sourcePort/0/1/value" -> ".match.sourcePort[0][1].value" */
function jsonPointerToField(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('');
}

function invalid(field: string, why: string): BreakwaterError {
  return new BreakwaterError('BW_ERR_FLOWSPEC_INVALID', [field, why]);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
