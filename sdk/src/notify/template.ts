// The message template language: a small, logic-less subset of mustache, compiled once and rendered with
// an escaper chosen by the channel (Slack mrkdwn, Telegram HTML, HTML e-mail, plain text). Operators write
// templates in the configuration, so rendering must be safe: no code runs, no eval, lookups reach only a
// view's own properties (never a prototype), and a value is escaped unless the template asks otherwise.
//
//   {{attack.target}}            a value, escaped for the channel
//   {{{link}}}  or  {{& link}}   a value, as it is (the template author vouches for it)
//   {{#actions}}...{{/actions}}  a section: repeated for each item of a list, once for a true value
//   {{^actions}}...{{/actions}}  an inverted section: rendered when the value is missing, false or empty
//   {{.}}                        the current item inside a section
//   {{! a comment }}

export type Escaper = (text: string) => string;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'value'; path: string[]; raw: boolean }
  | { kind: 'section'; path: string[]; inverted: boolean; children: Node[] };

export interface CompiledTemplate {
  readonly source: string;
  readonly nodes: readonly Node[];
}

export class TemplateError extends Error {
  /** Offset in the template text where the problem is. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'TemplateError';
    this.offset = offset;
  }
}

const PATH = /^(\.|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)$/;

/** Parses a template; throws TemplateError naming the offset of the first problem. */
export function compileTemplate(source: string): CompiledTemplate {
  const root: Node[] = [];
  const open: { path: string; offset: number; children: Node[] }[] = [];
  let children = root;
  let i = 0;
  while (i < source.length) {
    const start = source.indexOf('{{', i);
    if (start < 0) {
      children.push({ kind: 'text', text: source.slice(i) });
      break;
    }
    if (start > i) children.push({ kind: 'text', text: source.slice(i, start) });
    const triple = source.startsWith('{{{', start);
    const close = source.indexOf(triple ? '}}}' : '}}', start);
    if (close < 0) throw new TemplateError(`unclosed tag ${triple ? '{{{' : '{{'}`, start);
    const inner = source.slice(start + (triple ? 3 : 2), close).trim();
    i = close + (triple ? 3 : 2);
    if (triple) {
      children.push({ kind: 'value', path: parsePath(inner, start), raw: true });
      continue;
    }
    const sigil = inner[0];
    const rest = inner.slice(1).trim();
    switch (sigil) {
      case '!':
        break;
      case '&':
        children.push({ kind: 'value', path: parsePath(rest, start), raw: true });
        break;
      case '#':
      case '^': {
        const node: Node = { kind: 'section', path: parsePath(rest, start), inverted: sigil === '^', children: [] };
        children.push(node);
        open.push({ path: rest, offset: start, children: node.children });
        children = node.children;
        break;
      }
      case '/': {
        const top = open.pop();
        if (top === undefined) throw new TemplateError(`{{/${rest}}} closes no section`, start);
        if (top.path !== rest) throw new TemplateError(`{{/${rest}}} closes section {{#${top.path}}}`, start);
        children = open.length === 0 ? root : open[open.length - 1]!.children;
        break;
      }
      default:
        children.push({ kind: 'value', path: parsePath(inner, start), raw: false });
    }
  }
  const unclosed = open.pop();
  if (unclosed !== undefined) throw new TemplateError(`section {{#${unclosed.path}}} is not closed`, unclosed.offset);
  return { source, nodes: root };
}

function parsePath(text: string, offset: number): string[] {
  if (!PATH.test(text)) throw new TemplateError(`"${text}" is not a name (letters, digits, _ and dots)`, offset);
  return text === '.' ? ['.'] : text.split('.');
}

/** Renders a template (text or compiled) against a view; values are passed through escape unless raw. */
export function renderTemplate(template: string | CompiledTemplate, view: object, escape: Escaper = (s) => s): string {
  const compiled = typeof template === 'string' ? compileTemplate(template) : template;
  return renderNodes(compiled.nodes, [view], escape);
}

function renderNodes(nodes: readonly Node[], stack: unknown[], escape: Escaper): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'value') {
      const text = stringify(lookup(stack, node.path));
      out += node.raw ? text : escape(text);
    } else {
      const value = lookup(stack, node.path);
      const empty = value === undefined || value === null || value === false || value === '' || (Array.isArray(value) && value.length === 0);
      if (node.inverted) {
        if (empty) out += renderNodes(node.children, stack, escape);
      } else if (!empty) {
        if (Array.isArray(value)) for (const item of value) out += renderNodes(node.children, [...stack, item], escape);
        else out += renderNodes(node.children, [...stack, value], escape);
      }
    }
  }
  return out;
}

/** Finds a name from the innermost context outwards; only own properties count. */
function lookup(stack: readonly unknown[], path: readonly string[]): unknown {
  if (path[0] === '.') return stack[stack.length - 1];
  for (let i = stack.length - 1; i >= 0; i--) {
    const frame = stack[i];
    if (typeof frame === 'object' && frame !== null && Object.prototype.hasOwnProperty.call(frame, path[0]!)) {
      let value: unknown = frame;
      for (const key of path) {
        if (typeof value !== 'object' || value === null || !Object.prototype.hasOwnProperty.call(value, key)) return undefined;
        value = (value as Record<string, unknown>)[key];
      }
      return value;
    }
  }
  return undefined;
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.map(stringify).join(', ');
  // An object has no text of its own; a template names one of its fields instead.
  return '';
}
