// Owns framing of BIRD's control-socket byte stream into replies and asynchronous messages.
// It is a pure, stateful parser: bytes in, events out. It never touches a socket and never decides
// what an error means; the connection does that. Chunks may split lines (and UTF-8 characters) at
// any byte, so bytes are buffered until a newline and only complete lines are decoded.
//
// The protocol (nest/cli.c in BIRD 2):
//   "NNNN-text"  a line of code NNNN, more lines follow
//   "NNNN text"  the last line of a reply
//   " text"      continues the previous code (cli_printf drops the prefix when the code repeats)
//   "+text"      asynchronous log output (the `echo` command); may appear between any two lines
//   "<N messages lost>"  the async ring overflowed; also asynchronous

export interface ReplyLine {
  /** Four-digit reply code; continuation lines carry the code of the line they continue. */
  readonly code: number;
  /** The text after the code and separator (or after the single leading space of a continuation). */
  readonly text: string;
}

export type ParserEvent =
  | { readonly kind: 'reply'; readonly lines: ReplyLine[] }
  | { readonly kind: 'async'; readonly text: string }
  | { readonly kind: 'malformed'; readonly line: string; readonly reason: string };

const NEWLINE = 0x0a;
// BIRD's own lines are at most CLI_LINE_SIZE (512) bytes; anything far longer means we are not
// talking to BIRD, and buffering it without bound would let a broken peer exhaust memory.
const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
const CODED_LINE = /^(\d{4})([ -])/;
const MESSAGES_LOST = /^<\d+ messages lost>$/;

export class ReplyParser {
  readonly #maxLineBytes: number;
  #partial: Buffer[] = [];
  #partialBytes = 0;
  #discardingLongLine = false;
  #lines: ReplyLine[] = [];
  #blockCode: number | undefined;

  constructor(options: { maxLineBytes?: number } = {}) {
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** True while part of a reply (or of a line) has arrived but not its last line. */
  get midReply(): boolean {
    return this.#lines.length > 0 || this.#partialBytes > 0;
  }

  /** Forget everything buffered: used when the socket is replaced. */
  reset(): void {
    this.#partial = [];
    this.#partialBytes = 0;
    this.#discardingLongLine = false;
    this.#lines = [];
    this.#blockCode = undefined;
  }

  push(chunk: Buffer | string): ParserEvent[] {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    const events: ParserEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(NEWLINE, start);
      if (nl === -1) {
        this.#keepPartial(bytes.subarray(start), events);
        return events;
      }
      const piece = bytes.subarray(start, nl);
      start = nl + 1;
      if (this.#discardingLongLine) {
        this.#discardingLongLine = false;
        continue;
      }
      let line: Buffer = piece;
      if (this.#partialBytes > 0) {
        this.#partial.push(piece);
        line = Buffer.concat(this.#partial);
        this.#partial = [];
        this.#partialBytes = 0;
      }
      if (line.length > this.#maxLineBytes) {
        const head = line.subarray(0, 80).toString('utf8');
        events.push({ kind: 'malformed', line: head, reason: `line longer than ${this.#maxLineBytes} bytes` });
        continue;
      }
      this.#line(line.toString('utf8'), events);
    }
  }

  #keepPartial(rest: Buffer, events: ParserEvent[]): void {
    if (rest.length === 0 || this.#discardingLongLine) return;
    // Copy: the caller may reuse the chunk's memory after push() returns.
    this.#partial.push(Buffer.from(rest));
    this.#partialBytes += rest.length;
    if (this.#partialBytes > this.#maxLineBytes) {
      const head = Buffer.concat(this.#partial).subarray(0, 80).toString('utf8');
      this.#partial = [];
      this.#partialBytes = 0;
      this.#discardingLongLine = true;
      events.push({ kind: 'malformed', line: head, reason: `line longer than ${this.#maxLineBytes} bytes` });
    }
  }

  #line(raw: string, events: ParserEvent[]): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const first = line[0];
    if (first === '+') {
      // Async output does not change the block code: BIRD can interleave it with continuation lines.
      events.push({ kind: 'async', text: line.slice(1) });
      return;
    }
    if (first === '<' && MESSAGES_LOST.test(line)) {
      events.push({ kind: 'async', text: line });
      return;
    }
    if (first === ' ') {
      if (this.#blockCode === undefined) {
        events.push({ kind: 'malformed', line, reason: 'continuation line without a preceding coded line' });
        return;
      }
      this.#lines.push({ code: this.#blockCode, text: line.slice(1) });
      return;
    }
    const coded = CODED_LINE.exec(line);
    if (!coded) {
      events.push({ kind: 'malformed', line, reason: 'line does not start with a 4-digit code, a space or +' });
      return;
    }
    const code = Number(coded[1]);
    this.#lines.push({ code, text: line.slice(5) });
    if (coded[2] === '-') {
      this.#blockCode = code;
      return;
    }
    events.push({ kind: 'reply', lines: this.#lines });
    this.#lines = [];
    this.#blockCode = undefined;
  }
}
