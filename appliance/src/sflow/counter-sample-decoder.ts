// Decodes one counter sample (compact 0:2 or expanded 0:4) into the reused CounterSample. Only the generic
// interface counters record (0:1) is read; every other counter record is skipped by its length. A record
// that runs past the sample, or a generic record shorter than its 88 bytes, makes the sample malformed.
import { readU32, readU64 } from '../net/big-endian.js';
import type { CounterSample, InterfaceCounters } from './flow-sample.js';
import { CounterRecordFormat, StructSize } from './sflow-formats.js';

/** Decodes the sample body in b[start, end). Returns false when the sample is malformed. */
export function decodeCounterSample(b: Uint8Array, start: number, end: number, expanded: boolean, sample: CounterSample): boolean {
  sample.reset();
  sample.expanded = expanded;
  let p = start;
  let recordCount: number;
  if (expanded) {
    if (end - p < StructSize.expandedCounterSample) return false;
    sample.sequence = readU32(b, p);
    sample.sourceIdType = readU32(b, p + 4);
    sample.sourceIdIndex = readU32(b, p + 8);
    recordCount = readU32(b, p + 12);
    p += StructSize.expandedCounterSample;
  } else {
    if (end - p < StructSize.counterSample) return false;
    sample.sequence = readU32(b, p);
    const sourceId = readU32(b, p + 4);
    sample.sourceIdType = sourceId >>> 24;
    sample.sourceIdIndex = sourceId & 0xffffff;
    recordCount = readU32(b, p + 8);
    p += StructSize.counterSample;
  }
  for (let i = 0; i < recordCount; i++) {
    if (end - p < StructSize.recordHeader) return false;
    const format = readU32(b, p);
    const length = readU32(b, p + 4);
    p += StructSize.recordHeader;
    if (length > end - p) return false;
    if (format === CounterRecordFormat.genericInterface) {
      if (length < StructSize.genericInterfaceCounters) return false;
      readGenericInterface(b, p, sample.interface);
      sample.hasInterface = true;
    }
    p += length;
  }
  return true;
}

function readGenericInterface(b: Uint8Array, p: number, c: InterfaceCounters): void {
  c.ifIndex = readU32(b, p);
  c.ifType = readU32(b, p + 4);
  c.ifSpeed = readU64(b, p + 8);
  c.ifDirection = readU32(b, p + 16);
  c.ifStatus = readU32(b, p + 20);
  c.inOctets = readU64(b, p + 24);
  c.inUcastPkts = readU32(b, p + 32);
  c.inMulticastPkts = readU32(b, p + 36);
  c.inBroadcastPkts = readU32(b, p + 40);
  c.inDiscards = readU32(b, p + 44);
  c.inErrors = readU32(b, p + 48);
  c.inUnknownProtos = readU32(b, p + 52);
  c.outOctets = readU64(b, p + 56);
  c.outUcastPkts = readU32(b, p + 64);
  c.outMulticastPkts = readU32(b, p + 68);
  c.outBroadcastPkts = readU32(b, p + 72);
  c.outDiscards = readU32(b, p + 76);
  c.outErrors = readU32(b, p + 80);
  c.promiscuousMode = readU32(b, p + 84);
}
