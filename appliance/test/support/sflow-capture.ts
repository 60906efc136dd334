// Runs the sFlow decoder over bytes and keeps a plain copy of every sample it delivers (the decoder reuses
// its views, so tests must copy inside the visitor, exactly as production visitors do).
import { addressText, macText } from '../../src/net/address-text.js';
import { SflowDecoder } from '../../src/sflow/datagram-decoder.js';
import type { CounterSample, FlowSample } from '../../src/sflow/flow-sample.js';

export type FlowCopy = Omit<FlowSample, 'datagram' | 'reset' | 'resetPacket'> & {
  src: string | undefined;
  dst: string | undefined;
  srcMacText: string;
  dstMacText: string;
  asPathList: number[];
  communityList: number[];
  headerBytes: Uint8Array;
};

export type CounterCopy = Omit<CounterSample, 'datagram' | 'reset' | 'interface'> & { interface: Record<string, number> };

/** Every own field of a view, typed arrays copied; skips the shared datagram header. */
export function copyFields(view: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(view)) {
    if (key === 'datagram') continue;
    if (value instanceof Uint8Array || value instanceof Uint32Array) out[key] = value.slice();
    else if (value !== null && typeof value === 'object') out[key] = copyFields(value);
    else out[key] = value;
  }
  return out;
}

export function copyFlow(s: FlowSample, datagram: Uint8Array): FlowCopy {
  return {
    ...(copyFields(s) as unknown as FlowCopy),
    src: addressText(s.ipVersion, s.srcAddress),
    dst: addressText(s.ipVersion, s.dstAddress),
    srcMacText: macText(s.srcMac),
    dstMacText: macText(s.dstMac),
    asPathList: Array.from(s.asPath.subarray(0, s.asPathLength)),
    communityList: Array.from(s.communities.subarray(0, s.communityCount)),
    headerBytes: datagram.slice(s.headerOffset, s.headerOffset + s.headerLength),
  };
}

export interface DecodeResult {
  status: number;
  flows: FlowCopy[];
  counters: CounterCopy[];
  decoder: SflowDecoder;
  agent: string | undefined;
}

export function decodeAll(bytes: Uint8Array, decoder = new SflowDecoder()): DecodeResult {
  const flows: FlowCopy[] = [];
  const counters: CounterCopy[] = [];
  const status = decoder.decode(bytes, {
    onFlowSample: (s, d) => flows.push(copyFlow(s, d)),
    onCounterSample: (c) => counters.push(copyFields(c) as unknown as CounterCopy),
  });
  return { status, flows, counters, decoder, agent: addressText(decoder.header.agentFamily, decoder.header.agentAddress) };
}

/** Decodes a datagram expected to hold exactly one flow sample and returns it. */
export function decodeOneFlow(bytes: Uint8Array): FlowCopy {
  const r = decodeAll(bytes);
  if (r.status !== 0 || r.flows.length !== 1) {
    throw new Error(`expected one flow sample, got status ${r.status}, ${r.flows.length} flows, ${r.decoder.lastMalformedSamples} malformed`);
  }
  return r.flows[0]!;
}
