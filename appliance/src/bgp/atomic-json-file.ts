// A lowdb adapter that survives power loss and kill -9: the document is written to a temporary file in the
// same directory, fsync'ed, renamed over the old one, and the directory is fsync'ed so the rename itself is
// durable. A crash at any point leaves either the old or the new document, never a torn one. (lowdb's own
// JSONFile renames too, but does not fsync, so after a power cut the rename may point at an empty file.)
//
// The write is done with synchronous calls, in one go. It is on the path from an attack to its route (the
// desired state must be on disk before the daemon is told), and written with promises it took eight trips
// through libuv's thread pool and back to a main thread that is busy with sFlow at that very moment: 13-70 ms
// in bench/e2e, where the disk work itself is 1-3 ms. Blocking the loop for that is what the SQLite stores
// (better-sqlite3, synchronous=FULL) do for every commit already.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

export class AtomicJsonFile<T> implements Adapter<T> {
  private sequence = 0;

  constructor(private readonly path: string) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return JSON.parse(text) as T;
  }

  async write(data: T): Promise<void> {
    const dir = dirname(this.path);
    const temp = join(dir, `.${basename(this.path)}.${process.pid}.${this.sequence++}.tmp`);
    const file = openSync(temp, 'w', 0o640);
    try {
      writeSync(file, JSON.stringify(data, null, 1) + '\n');
      fsyncSync(file);
    } finally {
      closeSync(file);
    }
    try {
      renameSync(temp, this.path);
    } catch (err) {
      try {
        unlinkSync(temp);
      } catch {
        // already gone
      }
      throw err;
    }
    const directory = openSync(dir, 'r');
    try {
      fsyncSync(directory);
    } finally {
      closeSync(directory);
    }
  }
}
