// What a benchmark run starts and must leave nothing of: child process groups (spawned detached, so the group
// dies with its leader's kill), network namespaces, and a work directory. cleanup() kills the groups, deletes the
// namespaces and removes the directory; it may run more than once (normal end, then a signal).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class BenchResources {
  readonly children = new Set<ChildProcess>();
  readonly namespaces = new Set<string>();
  readonly work: string;

  constructor(prefix: string) {
    this.work = mkdtempSync(join(tmpdir(), prefix));
  }

  cleanup(): void {
    for (const c of this.children) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
    this.children.clear();
    for (const ns of this.namespaces) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // gone
      }
    }
    this.namespaces.clear();
    rmSync(this.work, { recursive: true, force: true });
  }
}
