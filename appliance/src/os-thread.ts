// What a worker thread can tell of itself to the kernel's tools: its thread id (top -H, /proc/PID/task/TID), which
// the receive and detection threads report so /health and the benches can read their CPU per thread.
import { readlinkSync } from 'node:fs';

/** The kernel's id of the calling thread, -1 where /proc has no thread-self. */
export function osThreadId(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return -1;
  }
}
