// Baselines on disk, so a restart does not throw away a week of learning. A compact binary file (a week of
// hourly slots per series would be several times larger as JSON), bounded by baseline.maxEntries, written
// atomically: the bytes go to a temporary file in the same directory, are flushed, and the file is renamed over
// the old one, so a crash leaves the previous file or the new one, never half of one.
//
// Layout (little-endian): u32 magic "BWBL", u32 version, f64 learningSince (NaN = not started), u32 × 5 settings
// (subWindowSeconds, windowSubWindows, seasonSlotSeconds, seasonSlots, K), u32 entries, then per entry: u16 subject
// length, subject UTF-8, u8 threshold key, f64 interestPps, f64 interestBps, f64 lastSecond, and the pps then the
// bps series (f64 currentSub, f32 × K top, f32 × M ring values, u32 × M ring sub-windows, u32 ring next, f32 × slots
// season values, u16 × slots season cycles). A file written with other settings is ignored (what it learned does
// not fit the new windows), never misread.
import { open, rename, rm } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BreakwaterError } from '../errors.js';
import { BaselineBook, type BaselineSeries } from './baseline.js';

const MAGIC = 0x4c425742;
const VERSION = 1;

export const BASELINE_FILE_NAME = 'baselines.bin';

class Writer {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(v: number): void { this.room(1); this.buf.writeUInt8(v, this.length); this.length += 1; }
  u16(v: number): void { this.room(2); this.buf.writeUInt16LE(v, this.length); this.length += 2; }
  u32(v: number): void { this.room(4); this.buf.writeUInt32LE(v >>> 0, this.length); this.length += 4; }
  f64(v: number): void { this.room(8); this.buf.writeDoubleLE(v, this.length); this.length += 8; }
  bytes(b: Uint8Array): void { this.room(b.length); this.buf.set(b, this.length); this.length += b.length; }
  typed(a: Float32Array | Uint32Array | Uint16Array): void {
    this.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  done(): Buffer { return this.buf.subarray(0, this.length); }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError(`file ends at byte ${this.buf.length}, inside a record`);
  }
  u8(): number { this.need(1); return this.buf.readUInt8(this.pos++); }
  u16(): number { this.need(2); const v = this.buf.readUInt16LE(this.pos); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.buf.readUInt32LE(this.pos); this.pos += 4; return v; }
  f64(): number { this.need(8); const v = this.buf.readDoubleLE(this.pos); this.pos += 8; return v; }
  string(n: number): string { this.need(n); const s = this.buf.toString('utf8', this.pos, this.pos + n); this.pos += n; return s; }
  into(a: Float32Array | Uint32Array | Uint16Array): void {
    this.need(a.byteLength);
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(this.buf.subarray(this.pos, this.pos + a.byteLength));
    this.pos += a.byteLength;
  }
}

function writeSeries(w: Writer, s: BaselineSeries): void {
  w.f64(s.currentSub);
  w.typed(s.top);
  w.typed(s.ringValue);
  w.typed(s.ringSub);
  w.u32(s.ringNext);
  w.typed(s.seasonValue);
  w.typed(s.seasonCycle);
}

function readSeries(r: Reader, s: BaselineSeries): void {
  s.currentSub = r.f64();
  r.into(s.top);
  r.into(s.ringValue);
  r.into(s.ringSub);
  s.ringNext = r.u32() % s.ringValue.length;
  r.into(s.seasonValue);
  r.into(s.seasonCycle);
}

function settingsWords(book: BaselineBook): number[] {
  const s = book.settings;
  return [s.subWindowSeconds, s.windowSubWindows, s.seasonSlotSeconds, s.seasonSlots, Math.max(1, Math.ceil(s.subWindowSeconds / 100))];
}

/** The book as bytes. */
export function encodeBaselines(book: BaselineBook): Buffer {
  const w = new Writer();
  w.u32(MAGIC);
  w.u32(VERSION);
  w.f64(book.learningSinceMs ?? Number.NaN);
  for (const v of settingsWords(book)) w.u32(v);
  w.u32(book.entries.size);
  for (const e of book.entries.values()) {
    const subject = Buffer.from(e.subject, 'utf8');
    w.u16(subject.length);
    w.bytes(subject);
    w.u8(e.key);
    w.f64(e.interestPps);
    w.f64(e.interestBps);
    w.f64(e.lastSecond);
    writeSeries(w, e.pps);
    writeSeries(w, e.bps);
  }
  return w.done();
}

export type BaselineDecode = { ok: true; entries: number } | { ok: false; reason: string };

/**
 * Loads bytes into an empty book (same settings). A file from other settings, or damaged, loads nothing and
 * says why; entries past the book's bound are skipped.
 */
export function decodeBaselines(bytes: Buffer, book: BaselineBook): BaselineDecode {
  const r = new Reader(bytes);
  try {
    if (r.u32() !== MAGIC) return { ok: false, reason: 'not a Breakwater baseline file' };
    const version = r.u32();
    if (version !== VERSION) return { ok: false, reason: `unsupported version ${version}` };
    const learningSince = r.f64();
    const expected = settingsWords(book);
    const found = expected.map(() => r.u32());
    if (found.some((v, i) => v !== expected[i])) return { ok: false, reason: `written with other baseline settings (${found.join('/')} vs ${expected.join('/')})` };
    const count = r.u32();
    const loaded = new BaselineBook(book.settings, book.maxEntries);
    for (let i = 0; i < count; i++) {
      const subject = r.string(r.u16());
      const key = r.u8();
      const interestPps = r.f64();
      const interestBps = r.f64();
      const lastSecond = r.f64();
      const e = loaded.getOrCreate(subject, key, interestPps, interestBps);
      e.lastSecond = lastSecond;
      readSeries(r, e.pps);
      readSeries(r, e.bps);
    }
    book.entries.clear();
    for (const [k, e] of loaded.entries) book.entries.set(k, e);
    book.learningSinceMs = Number.isNaN(learningSince) ? undefined : learningSince;
    return { ok: true, entries: book.entries.size };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/** Writes bytes to `file` atomically (temporary file in the same directory, fsync, rename). */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(file), `.${BASELINE_FILE_NAME}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(tmp, 'w', 0o640);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Saves the book to `file`; throws BW_ERR_BASELINE_WRITE. */
export async function saveBaselines(file: string, book: BaselineBook): Promise<number> {
  const bytes = encodeBaselines(book);
  try {
    await writeFileAtomic(file, bytes);
  } catch (err) {
    throw new BreakwaterError('BW_ERR_BASELINE_WRITE', [file, (err as Error).message], { cause: err });
  }
  return bytes.length;
}

/** Loads `file` into the book; a missing file is a fresh start, a bad one is reported (not thrown). */
export async function loadBaselines(file: string, book: BaselineBook): Promise<BaselineDecode> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, entries: 0 };
    return { ok: false, reason: (err as Error).message };
  }
  return decodeBaselines(bytes, book);
}
