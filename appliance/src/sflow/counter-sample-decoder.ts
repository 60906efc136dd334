// Decodes one counter sample (compact 0:2 or expanded 0:4) into the reused CounterSample. Only the generic
// interface counters record (0:1) is read; every other counter record is skipped by its length. A record
// that runs past the sample, or a generic record shorter than its 88 bytes, makes the sample malformed.
import type { CounterSample, InterfaceCounters } from './flow-sample.js';
import { CounterRecordFormat, StructSize } from './sflow-formats.js';

/** Decodes the sample body in b[start, end). Returns false when the sample is malformed. */
export function decodeCounterSample(v: DataView, start: number, end: number, expanded: boolean, sample: CounterSample): boolean {
  sample.reset();
  sample.expanded = expanded;
  let p = start;
  let recordCount: number;
  if (expanded) {
    if (end - p < StructSize.expandedCounterSample) return false;
    sample.sequence = v.getUint32(p);
    sample.sourceIdType = v.getUint32(p + 4);
    sample.sourceIdIndex = v.getUint32(p + 8);
    recordCount = v.getUint32(p + 12);
    p += StructSize.expandedCounterSample;
  } else {
    if (end - p < StructSize.counterSample) return false;
    sample.sequence = v.getUint32(p);
    const sourceId = v.getUint32(p + 4);
    sample.sourceIdType = sourceId >>> 24;
    sample.sourceIdIndex = sourceId & 0xffffff;
    recordCount = v.getUint32(p + 8);
    p += StructSize.counterSample;
  }
  for (let i = 0; i < recordCount; i++) {
    if (end - p < StructSize.recordHeader) return false;
    const format = v.getUint32(p);
    const length = v.getUint32(p + 4);
    p += StructSize.recordHeader;
    if (length > end - p) return false;
    if (format === CounterRecordFormat.genericInterface) {
      if (length < StructSize.genericInterfaceCounters) return false;
      readGenericInterface(v, p, sample.interface);
      sample.hasInterface = true;
    }
    p += length;
  }
  return true;
}

function readGenericInterface(v: DataView, p: number, c: InterfaceCounters): void {
  c.ifIndex = v.getUint32(p);
  c.ifType = v.getUint32(p + 4);
  c.ifSpeed = v.getUint32(p + 8) * 4294967296 + v.getUint32(p + 12);
  c.ifDirection = v.getUint32(p + 16);
  c.ifStatus = v.getUint32(p + 20);
  c.inOctets = v.getUint32(p + 24) * 4294967296 + v.getUint32(p + 28);
  c.inUcastPkts = v.getUint32(p + 32);
  c.inMulticastPkts = v.getUint32(p + 36);
  c.inBroadcastPkts = v.getUint32(p + 40);
  c.inDiscards = v.getUint32(p + 44);
  c.inErrors = v.getUint32(p + 48);
  c.inUnknownProtos = v.getUint32(p + 52);
  c.outOctets = v.getUint32(p + 56) * 4294967296 + v.getUint32(p + 60);
  c.outUcastPkts = v.getUint32(p + 64);
  c.outMulticastPkts = v.getUint32(p + 68);
  c.outBroadcastPkts = v.getUint32(p + 72);
  c.outDiscards = v.getUint32(p + 76);
  c.outErrors = v.getUint32(p + 80);
  c.promiscuousMode = v.getUint32(p + 84);
}
