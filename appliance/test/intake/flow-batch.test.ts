// The FlowBatch: what the writer packs is what the consumer reads, the layout's fixed sizes and bounds, and
// validation of a batch that crossed a process boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DestinationTable } from '../../src/counting/destination-table.js';
import { AgentTable } from '../../src/intake/agent-table.js';
import { BatchConsumer } from '../../src/intake/batch-consumer.js';
import { BATCH_HEADER_BYTES, BatchViews, checkBatch, FlowField, FlowFlag, RECORD_BYTES, RecordKind } from '../../src/intake/flow-batch.js';
import { FlowBatchWriter } from '../../src/intake/flow-batch-writer.js';
import { SflowDecoder } from '../../src/sflow/datagram-decoder.js';
import { FlowSpec, SflowEncoder } from '../../src/synthetic/sflow-encoder.js';
import { SflowStream } from '../../src/synthetic/sflow-generator.js';

test('writer → consumer round trip gives the stream exact totals, batch by batch', () => {
  const batches: Uint8Array[] = [];
  const writer = new FlowBatchWriter({ sink: (b) => batches.push(new Uint8Array(b)), targetRecords: 256 });
  const decoder = new SflowDecoder();
  const stream = new SflowStream({ agents: 2, destinations: 300, ipv6Share: 0.5, trackDestinations: true });
  for (let i = 0; i < 400; i++) {
    const d = stream.next();
    writer.beginDatagram(1_700_000_000_000 + i);
    const status = decoder.decode(d, writer);
    writer.endDatagram(decoder.header, status, d.length, decoder.lastFlowSamples, decoder.lastCounterSamples, decoder.lastSkippedSamples, decoder.lastMalformedSamples);
  }
  writer.flush();
  assert.ok(batches.length > 5);
  const table = new DestinationTable(1000);
  const consumer = new BatchConsumer(new AgentTable(10), table);
  for (const b of batches) {
    const check = checkBatch(b);
    assert.ok(check.ok);
    // Never more than target + one datagram: a datagram is not split.
    assert.ok(check.count <= 256 + 1 + 512);
    consumer.consume(b);
  }
  assert.equal(consumer.datagrams, 400);
  assert.equal(consumer.flowSamples, stream.flowSamples);
  assert.equal(table.totalBytes, stream.bytes);
  for (const [address, t] of stream.truth!) assert.equal(table.get(address)?.packets, t.packets, address);
});

test('a flow record carries the sample fields at the documented offsets', () => {
  let batch: Uint8Array | undefined;
  const writer = new FlowBatchWriter({ sink: (b) => (batch = new Uint8Array(b)) });
  const enc = new SflowEncoder();
  const f = new FlowSpec();
  Object.assign(f, { sequence: 77, sourceIdIndex: 5, samplingRate: 2048, frameLength: 1514, protocol: 6, srcPort: 443, dstPort: 51000, tcpFlags: 0x12, ttl: 61, dscp: 46, dstV4: 0xc6120203, srcV4: 0x64400001 });
  enc.begin({ agent: 0x64400009, subAgentId: 3, sequence: 9, uptimeMs: 1234 });
  enc.addFlowSample(f);
  const decoder = new SflowDecoder();
  writer.beginDatagram(1000);
  const status = decoder.decode(enc.datagram, writer);
  writer.endDatagram(decoder.header, status, enc.length, decoder.lastFlowSamples, 0, 0, 0);
  writer.flush();
  const v = new BatchViews(batch!.buffer as ArrayBuffer);
  assert.equal(v.count, 2);
  const at = BATCH_HEADER_BYTES + RECORD_BYTES;
  assert.equal(v.u8[BATCH_HEADER_BYTES], RecordKind.datagram);
  assert.equal(v.u8[at + FlowField.kind], RecordKind.flow);
  assert.equal(v.u8[at + FlowField.ipVersion], 4);
  assert.equal(v.u8[at + FlowField.protocol], 6);
  assert.equal(v.u8[at + FlowField.tcpFlags], 0x12);
  assert.equal(v.u8[at + FlowField.flags]! & FlowFlag.hasL4, FlowFlag.hasL4);
  assert.equal(v.u8[at + FlowField.ttl], 61);
  assert.equal(v.u8[at + FlowField.dscp], 46);
  assert.equal(v.u16[(at + FlowField.srcPort) / 2], 443);
  assert.equal(v.u16[(at + FlowField.dstPort) / 2], 51000);
  assert.equal(v.u32[(at + FlowField.samplingRate) / 4], 2048);
  assert.equal(v.u32[(at + FlowField.frameLength) / 4], 1514);
  assert.equal(v.u32[(at + FlowField.sequence) / 4], 77);
  assert.equal(v.u32[(at + FlowField.sourceId) / 4], 5);
  assert.deepEqual([...v.u8.subarray(at + FlowField.dstAddress, at + FlowField.dstAddress + 16)], [198, 18, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

test('checkBatch refuses what is not a FlowBatch', () => {
  assert.equal(checkBatch(new Uint8Array(8)).ok, false);
  assert.equal(checkBatch(new Uint8Array(64)).ok, false);
  const consumer = new BatchConsumer(new AgentTable(1), new DestinationTable(1));
  assert.equal(consumer.consumeChecked(new Uint8Array(64)), false);
  assert.equal(consumer.rejectedBatches, 1);
});
