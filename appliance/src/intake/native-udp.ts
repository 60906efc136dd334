// Loads the optional udp-batch addon (appliance/native/udp-batch.c: recvmmsg into a buffer shared with JS,
// one JS call per batch of up to 64 datagrams) and wraps one of its sockets. Node's dgram costs ~6.4 µs of
// CPU per datagram here, more than decoding and counting together; the addon removes most of that. When the
// addon is not built (node appliance/native/build.mjs), loadUdpBatch() returns undefined and the intake
// uses dgram: slower, same results. The addon works in worker threads too (receive-thread.ts), where it is
// also the only way to bind with SO_REUSEPORT (Node 20's dgram has no reusePort).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

interface UdpBatchAddon {
  open(host: string, port: number, ipv6: boolean, receiveBufferBytes: number, onBatch: (count: number) => void, reusePort?: boolean): {
    handle: unknown;
    data: ArrayBuffer;
    lengths: ArrayBuffer;
    port: number;
    receiveBufferBytes: number;
  };
  close(handle: unknown): void;
  SLOT: number;
  BATCH: number;
}

let cached: UdpBatchAddon | null | undefined;

/** The addon, or undefined when it is not built or does not load on this platform. */
export type { UdpBatchAddon };

export function loadUdpBatch(): UdpBatchAddon | undefined {
  if (cached !== undefined) return cached ?? undefined;
  cached = null;
  // From src/intake/ (source) or dist/ (bundle), the addon sits in appliance/native/build/.
  for (const rel of ['../../native/build/udp-batch.node', '../native/build/udp-batch.node']) {
    const path = new URL(rel, import.meta.url).pathname;
    if (!existsSync(path)) continue;
    try {
      cached = createRequire(import.meta.url)(path) as UdpBatchAddon;
      break;
    } catch {
      // Built for another Node ABI or platform: fall back to dgram.
    }
  }
  return cached ?? undefined;
}

/** One UDP socket read in batches. onDatagram gets a view that is valid only during the call. */
export class BatchUdpSocket {
  readonly port: number;
  readonly receiveBufferBytes: number;
  private readonly handle: unknown;
  private closed = false;

  constructor(
    private readonly addon: UdpBatchAddon,
    host: string,
    port: number,
    ipv6: boolean,
    receiveBufferBytes: number,
    onDatagram: (datagram: Uint8Array) => void,
    onOversized: () => void,
    /** SO_REUSEPORT: one socket per receive thread on the same address (receive-threads.ts). */
    reusePort = false,
  ) {
    const slot = addon.SLOT;
    let data: Uint8Array | undefined;
    let lengths: Int32Array | undefined;
    // One call per batch; the per-datagram work is a view and the caller's decode.
    const onBatch = (count: number): void => {
      for (let i = 0; i < count; i++) {
        const length = lengths![i]!;
        if (length < 0) onOversized();
        else onDatagram(data!.subarray(i * slot, i * slot + length));
      }
    };
    const opened = addon.open(host, port, ipv6, receiveBufferBytes, onBatch, reusePort);
    data = new Uint8Array(opened.data);
    lengths = new Int32Array(opened.lengths);
    this.handle = opened.handle;
    this.port = opened.port;
    this.receiveBufferBytes = opened.receiveBufferBytes;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.addon.close(this.handle);
  }
}
