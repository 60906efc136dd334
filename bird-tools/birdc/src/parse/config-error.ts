// Owns reading the position out of BIRD's "cannot read configuration" message (reply code 8002).
// BIRD 2 prints `<file>:<line>:<column> <message>` (sysdep/unix/main.c); BIRD 1.x printed
// `<file>, line <n>: <message>`. Both are accepted so callers can show "line N" either way.

export interface ConfigLocation {
  file: string;
  /** 1-based line; absent when BIRD could not open the file at all. */
  line?: number;
  /** 1-based column, when BIRD reports one. */
  column?: number;
  message: string;
}

const BIRD2_POSITION = /^(?<file>.+?):(?<line>\d+):(?<column>\d+) (?<message>.*)$/;
const BIRD1_POSITION = /^(?<file>.+?), line (?<line>\d+): (?<message>.*)$/;
// Without a position BIRD prints `<file>: <strerror>`, e.g. "No such file or directory".
const NO_POSITION = /^(?<file>.+?): (?<message>.*)$/;

export function parseConfigLocation(text: string): ConfigLocation | undefined {
  const bird2 = BIRD2_POSITION.exec(text)?.groups;
  if (bird2) {
    return {
      file: bird2.file!,
      line: Number(bird2.line),
      column: Number(bird2.column),
      message: bird2.message!,
    };
  }
  const bird1 = BIRD1_POSITION.exec(text)?.groups;
  if (bird1) return { file: bird1.file!, line: Number(bird1.line), message: bird1.message! };
  const bare = NO_POSITION.exec(text)?.groups;
  if (bare) return { file: bare.file!, message: bare.message! };
  return undefined;
}
