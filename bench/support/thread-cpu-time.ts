// CPU time of each thread of a process, from /proc/PID/task/TID/stat (utime + stime), for the benches that split a
// process's CPU by thread (bench/ingest/thread-cpu.ts, bench/api). Linux only; a thread that ends while it is read
// is left out.
import { readdirSync, readFileSync } from 'node:fs';

/** utime + stime in ns (clock ticks of 10 ms, USER_HZ 100), stime alone, and the name of every thread of a process, by thread id. */
export function threadCpu(pid: number): Map<number, { name: string; ns: number; systemNs: number }> {
  const out = new Map<number, { name: string; ns: number; systemNs: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // Fields after the name (which may hold spaces): state is field 3, utime and stime are fields 14 and 15.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { name, ns: (Number(f[11]) + Number(f[12])) * 1e7, systemNs: Number(f[12]) * 1e7 });
    } catch {
      // the thread ended
    }
  }
  return out;
}
