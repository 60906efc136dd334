// Renders the configuration reference (docs/configuration.md's key table) from the schema itself, so the
// documentation of every key and default cannot drift from what the appliance accepts.
import { Kind, type TSchema } from '@sinclair/typebox';
import { ConfigSchema } from './schema.js';

export interface KeyDoc {
  key: string;
  type: string;
  default: string;
  description: string;
}

function typeName(schema: TSchema): string {
  if (schema.anyOf) return (schema.anyOf as TSchema[]).map(typeName).join(' \\| ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const kind = schema[Kind] as string;
  if (kind === 'Array') return `${typeName(schema.items as TSchema)}[]`;
  if (kind === 'Integer') {
    const range = schema.minimum !== undefined || schema.maximum !== undefined ? ` ${schema.minimum ?? ''}..${schema.maximum ?? ''}` : '';
    return `integer${range}`;
  }
  return kind.toLowerCase();
}

/** Every leaf key of the configuration with its type, default and description, in schema order. */
export function describeConfigKeys(schema: TSchema = ConfigSchema, prefix = ''): KeyDoc[] {
  const out: KeyDoc[] = [];
  for (const [name, child] of Object.entries(schema.properties as Record<string, TSchema>)) {
    const key = prefix === '' ? name : `${prefix}.${name}`;
    if (child[Kind] === 'Object' && child.properties) {
      out.push(...describeConfigKeys(child, key));
      continue;
    }
    out.push({
      key,
      type: typeName(child),
      default: child.default === undefined ? '(required)' : JSON.stringify(child.default),
      description: String(child.description ?? ''),
    });
  }
  return out;
}

export function renderConfigKeyTable(): string {
  const rows = describeConfigKeys().map((k) => `| \`${k.key}\` | ${k.type} | \`${k.default}\` | ${k.description} |`);
  return ['| key | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
