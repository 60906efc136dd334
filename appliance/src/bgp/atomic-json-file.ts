// A lowdb adapter that survives power loss and kill -9: the document is written to a temporary file in the
// same directory, fsync'ed, renamed over the old one, and the directory is fsync'ed so the rename itself is
// durable. A crash at any point leaves either the old or the new document, never a torn one. (lowdb's own
// JSONFile renames too, but does not fsync, so after a power cut the rename may point at an empty file.)
import { open, readFile, rename, unlink } from 'node:fs/promises';
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
    const file = await open(temp, 'w', 0o640);
    try {
      await file.writeFile(JSON.stringify(data, null, 1) + '\n');
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await rename(temp, this.path);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    const directory = await open(dir, 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}
