// Loads recorded BIRD replies (fixtures/*.txt) and frames them with the real ReplyParser.
import { readFileSync, readdirSync } from 'node:fs';
import { ReplyParser, type ParserEvent, type ReplyLine } from '../../src/reply-parser.js';

const dir = new URL('../fixtures/', import.meta.url);

export function fixtureNames(): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => f.slice(0, -'.txt'.length))
    .sort();
}

export function fixture(name: string): Buffer {
  return readFileSync(new URL(`${name}.txt`, dir));
}

export function events(bytes: Buffer): ParserEvent[] {
  return new ReplyParser().push(bytes);
}

/** The single reply a fixture holds (asynchronous lines, if any, are ignored). */
export function reply(name: string): ReplyLine[] {
  const replies = events(fixture(name)).filter((e) => e.kind === 'reply');
  if (replies.length !== 1) throw new Error(`${name}: expected one reply, got ${replies.length}`);
  return replies[0]!.lines;
}
