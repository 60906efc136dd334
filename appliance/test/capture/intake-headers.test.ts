// The header section reaches batch listeners on every receive path the intake has: the main thread (dgram),
// a receive thread (sflow.receiveThreads, transferred batches checked by checkBatch) and a decoder worker
// process (sflow.workers, batches over IPC): the sampled-header bytes a listener reads are the ones sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { checkBatch, HeaderField, headerBytesOffset, headerSectionOffset } from '../../src/intake/flow-batch.js';
import { loadUdpBatch } from '../../src/intake/native-udp.js';
import { SflowIntake } from '../../src/intake/sflow-intake.js';
import { silentLogger } from '../../src/log.js';
import { datagram, flowSample, sampledHeaderRecord } from '../support/sflow-builder.js';
import { waitFor } from '../intake/helpers.js';

const noAddon = loadUdpBatch() === undefined && 'udp-batch addon not built';

/** Every non-empty header carried by a (checked) batch. */
function headersOf(batch: Uint8Array): number[][] {
  const v = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const count = v.getUint32(HeaderField.count, true);
  if (v.getUint32(HeaderField.headerSnap, true) === 0) return [];
  const section = headerSectionOffset(count);
  const at = headerBytesOffset(count);
  const out: number[][] = [];
  for (let i = 0; i < count; i++) {
    const from = v.getUint32(section + i * 4, true);
    const to = v.getUint32(section + (i + 1) * 4, true);
    if (to > from) out.push([...batch.subarray(at + from, at + to)]);
  }
  return out;
}

const modes: { name: string; workers: number; receiveThreads: number; receiveWith: 'dgram' | 'auto'; skip: string | false }[] = [
  { name: 'main thread (dgram)', workers: 0, receiveThreads: 0, receiveWith: 'dgram', skip: false },
  { name: 'receive thread', workers: 0, receiveThreads: 1, receiveWith: 'auto', skip: noAddon },
  { name: 'decoder worker process', workers: 1, receiveThreads: 0, receiveWith: 'dgram', skip: false },
];

for (const mode of modes) {
  test(`sampled headers reach batch listeners through the ${mode.name}`, { skip: mode.skip }, async () => {
    const seen: number[][] = [];
    const snaps = new Set<number>();
    let rejected = 0;
    const intake = new SflowIntake({
      config: { listen: ['127.0.0.1:0'], receiveBufferBytes: 1 << 20, workers: mode.workers, maxAgents: 10, receiveThreads: mode.receiveThreads },
      log: silentLogger(),
      receiveWith: mode.receiveWith,
      headerSnapLength: 64,
    });
    intake.addBatchListener((b) => {
      if (!checkBatch(b).ok) rejected++;
      snaps.add(new DataView(b.buffer, b.byteOffset).getUint32(HeaderField.headerSnap, true));
      seen.push(...headersOf(b));
    });
    await intake.start();
    const socket = createSocket('udp4');
    try {
      const port = intake.boundSockets[0]!.port;
      const headers = [0, 1, 2, 3, 4].map((k) => Uint8Array.from({ length: 40 + k * 20 }, (_, i) => (k * 31 + i) & 0xff));
      const d = datagram({ samples: headers.map((h, k) => flowSample({ sequence: k + 1, records: [sampledHeaderRecord({ protocol: 11, header: h })] })) });
      await new Promise<void>((resolve, reject) => socket.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      await waitFor(() => seen.length >= 5, 10_000, 'headers applied');
      assert.equal(rejected, 0);
      assert.deepEqual([...snaps], [64]);
      // Cut to the snap length (64): the 40-byte header whole, the others to their first 64 bytes.
      assert.deepEqual(seen, headers.map((h) => [...h.subarray(0, 64)]));
    } finally {
      socket.close();
      await intake.stop();
    }
  });
}
