// A minimal POSIX tar (ustar + pax) writer and streaming reader for backup archives. It handles exactly what a
// backup holds — regular files and directories — and reports every other entry type to the caller instead of
// acting on it, so a crafted archive cannot make the reader create links, devices or paths outside its target.
// Why not a dependency: the format needed is small, and keeping it here lets the reader refuse what the
// restore must never do (links, absolute paths, "..") before any byte reaches the disk.
import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';

const BLOCK = 512;
const ZERO_BLOCK = Buffer.alloc(BLOCK);
/** The largest size the 11-digit octal field holds; larger files get a pax size record. */
const USTAR_MAX_SIZE = 0o77777777777;

export type TarEntryType = 'file' | 'directory' | 'other';

export interface TarEntryHeader {
  path: string;
  type: TarEntryType;
  /** The raw type flag, for messages about entries of type 'other'. */
  typeFlag: string;
  size: number;
  mode: number;
  mtimeSeconds: number;
}

export interface TarWriteEntry {
  path: string;
  type: 'file' | 'directory';
  mode: number;
  mtimeSeconds: number;
  size: number;
}

/** Writes entries to a stream, honouring backpressure. Call end() to write the two closing zero blocks. */
export class TarWriter {
  constructor(private readonly out: Writable) {}

  async addFile(entry: Omit<TarWriteEntry, 'type' | 'size'>, body: Buffer | AsyncIterable<Buffer>, size: number): Promise<void> {
    await this.writeHeader({ ...entry, type: 'file', size });
    let written = 0;
    if (Buffer.isBuffer(body)) {
      await this.write(body);
      written = body.length;
    } else {
      for await (const buf of body) {
        written += buf.length;
        if (written > size) throw new Error(`${entry.path} grew while it was being archived`);
        await this.write(buf);
      }
    }
    if (written !== size) throw new Error(`${entry.path} changed size while it was being archived (${size} -> ${written} bytes)`);
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad > 0) await this.write(ZERO_BLOCK.subarray(0, pad));
  }

  async addDirectory(entry: Omit<TarWriteEntry, 'type' | 'size'>): Promise<void> {
    await this.writeHeader({ ...entry, path: entry.path.endsWith('/') ? entry.path : `${entry.path}/`, type: 'directory', size: 0 });
  }

  async end(): Promise<void> {
    await this.write(Buffer.concat([ZERO_BLOCK, ZERO_BLOCK]));
  }

  private async writeHeader(entry: TarWriteEntry): Promise<void> {
    const name = splitUstarName(entry.path);
    const pax: Record<string, string> = {};
    if (name === undefined) pax.path = entry.path;
    if (entry.size > USTAR_MAX_SIZE) pax.size = String(entry.size);
    if (Object.keys(pax).length > 0) {
      const body = encodePax(pax);
      await this.write(ustarHeader({ name: 'PaxHeader', prefix: '', typeFlag: 'x', size: body.length, mode: 0o644, mtime: entry.mtimeSeconds }));
      await this.write(body);
      const pad = (BLOCK - (body.length % BLOCK)) % BLOCK;
      if (pad > 0) await this.write(ZERO_BLOCK.subarray(0, pad));
    }
    const short = name ?? { name: entry.path.slice(-100).replace(/^\/+/, ''), prefix: '' };
    await this.write(
      ustarHeader({
        name: short.name,
        prefix: short.prefix,
        typeFlag: entry.type === 'file' ? '0' : '5',
        size: entry.size > USTAR_MAX_SIZE ? 0 : entry.size,
        mode: entry.mode,
        mtime: entry.mtimeSeconds,
      }),
    );
  }

  private write(buf: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.out.write(buf, (err) => (err ? reject(err) : resolve()));
    });
  }
}

/** Splits a path into ustar's name (≤100 bytes) and prefix (≤155 bytes), or undefined when it cannot. */
function splitUstarName(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let i = path.length - 1; i > 0; i--) {
    if (path[i] !== '/') continue;
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { name, prefix };
  }
  return undefined;
}

function encodePax(records: Record<string, string>): Buffer {
  let out = '';
  for (const [key, value] of Object.entries(records)) {
    const body = ` ${key}=${value}\n`;
    // The length prefix counts itself: find the fixed point.
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
    out += `${len}${body}`;
  }
  return Buffer.from(out);
}

function ustarHeader(h: { name: string; prefix: string; typeFlag: string; size: number; mode: number; mtime: number }): Buffer {
  const b = Buffer.alloc(BLOCK);
  b.write(h.name, 0, 100, 'utf8');
  writeOctal(b, 100, 8, h.mode & 0o7777);
  writeOctal(b, 108, 8, 0);
  writeOctal(b, 116, 8, 0);
  writeOctal(b, 124, 12, h.size);
  writeOctal(b, 136, 12, Math.max(0, Math.floor(h.mtime)));
  b.fill(0x20, 148, 156);
  b.write(h.typeFlag, 156, 1, 'ascii');
  b.write('ustar\u000000', 257, 8, 'binary');
  b.write(h.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of b) sum += byte;
  b.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8, 'binary');
  return b;
}

function writeOctal(b: Buffer, offset: number, length: number, value: number): void {
  b.write(value.toString(8).padStart(length - 1, '0') + '\u0000', offset, length, 'ascii');
}

/** Thrown by readTar for a stream that is not a well-formed tar archive. */
export class TarFormatError extends Error {}

/**
 * Reads a tar stream entry by entry. For each entry, onEntry gets the header and the entry's body as an async
 * iterable of chunks; the reader skips whatever the callback leaves unread. Returns the number of entries.
 */
export async function readTar(
  input: AsyncIterable<Buffer>,
  onEntry: (header: TarEntryHeader, body: AsyncIterable<Buffer>) => Promise<void>,
): Promise<number> {
  const reader = new BlockReader(input);
  let pax: Record<string, string> = {};
  let entries = 0;
  for (;;) {
    const block = await reader.read(BLOCK);
    if (block === undefined) throw new TarFormatError('the archive ends without its closing zero blocks (truncated?)');
    if (block.equals(ZERO_BLOCK)) return entries;
    const header = parseHeader(block);
    const size = pax.size !== undefined ? Number(pax.size) : header.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new TarFormatError(`entry ${header.path} has an impossible size`);
    const padded = size + ((BLOCK - (size % BLOCK)) % BLOCK);
    if (header.typeFlag === 'x') {
      const body = await reader.read(padded);
      if (body === undefined) throw new TarFormatError('the archive ends inside a pax header');
      pax = parsePax(body.subarray(0, size));
      continue;
    }
    if (header.typeFlag === 'g') {
      if ((await reader.read(padded)) === undefined) throw new TarFormatError('the archive ends inside a pax header');
      continue;
    }
    const entry: TarEntryHeader = { ...header, path: pax.path ?? header.path, size };
    pax = {};
    entries++;
    let remaining = size;
    const body = (async function* () {
      while (remaining > 0) {
        const chunk = await reader.readSome(remaining);
        if (chunk === undefined) throw new TarFormatError(`the archive ends inside ${entry.path}`);
        remaining -= chunk.length;
        yield chunk;
      }
    })();
    await onEntry(entry, body);
    while (remaining > 0) {
      const chunk = await reader.readSome(remaining);
      if (chunk === undefined) throw new TarFormatError(`the archive ends inside ${entry.path}`);
      remaining -= chunk.length;
    }
    if (padded > size && (await reader.read(padded - size)) === undefined) throw new TarFormatError(`the archive ends inside ${entry.path}`);
  }
}

function parseHeader(b: Buffer): TarEntryHeader {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  const stored = parseOctal(b, 148, 8);
  if (stored !== sum) throw new TarFormatError('a tar header checksum does not match (not a tar archive, or corrupt)');
  const name = cString(b, 0, 100);
  const magic = b.toString('binary', 257, 262);
  const prefix = magic === 'ustar' ? cString(b, 345, 155) : '';
  const typeFlag = b.toString('ascii', 156, 157).replace('\u0000', '0');
  const type: TarEntryType = typeFlag === '0' ? 'file' : typeFlag === '5' ? 'directory' : 'other';
  return {
    path: prefix === '' ? name : `${prefix}/${name}`,
    type,
    typeFlag,
    size: parseOctal(b, 124, 12),
    mode: parseOctal(b, 100, 8),
    mtimeSeconds: parseOctal(b, 136, 12),
  };
}

function cString(b: Buffer, offset: number, length: number): string {
  const end = b.indexOf(0, offset);
  return b.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end);
}

function parseOctal(b: Buffer, offset: number, length: number): number {
  const text = b.toString('ascii', offset, offset + length).replace(/[\u0000 ]+$/g, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError('a tar header holds a malformed number (not a tar archive, or corrupt)');
  return parseInt(text, 8);
}

function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    if (space === -1) throw new TarFormatError('malformed pax header');
    const len = Number(body.toString('ascii', pos, space));
    if (!Number.isInteger(len) || len <= 0 || pos + len > body.length) throw new TarFormatError('malformed pax header');
    const record = body.toString('utf8', space + 1, pos + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

/** Hands out exact-length reads over a chunked stream. */
class BlockReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(input: AsyncIterable<Buffer>) {
    this.iterator = input[Symbol.asyncIterator]();
  }

  /** Exactly n bytes, or undefined at the end of the stream. */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.pending.length < n) {
      if (!(await this.fill())) return undefined;
    }
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return out;
  }

  /** Between 1 and max bytes, or undefined at the end of the stream. */
  async readSome(max: number): Promise<Buffer | undefined> {
    if (this.pending.length === 0 && !(await this.fill())) return undefined;
    const out = this.pending.subarray(0, Math.min(max, this.pending.length));
    this.pending = this.pending.subarray(out.length);
    return out;
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.iterator.next();
    if (next.done === true) {
      this.done = true;
      return false;
    }
    this.pending = this.pending.length === 0 ? next.value : Buffer.concat([this.pending, next.value]);
    return true;
  }
}

/** sha256 of a body while passing it on. */
export function sha256Hex(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}
