// Numbers that identify sFlow v5 structures (sflow.org sflow_version_5.txt). A data_format word is
// enterprise << 12 | format; every constant here is enterprise 0 (sFlow.org standard structures).

export const sflowVersion5 = 5;

export const AgentAddressType = { ipv4: 1, ipv6: 2 } as const;

/** Address union inside records (next hops): 0 unknown carries no bytes. */
export const AddressType = { unknown: 0, ipv4: 1, ipv6: 2 } as const;

export const SampleFormat = { flow: 1, counter: 2, expandedFlow: 3, expandedCounter: 4 } as const;

export const FlowRecordFormat = {
  sampledHeader: 1,
  ethernet: 2,
  ipv4: 3,
  ipv6: 4,
  extendedSwitch: 1001,
  extendedRouter: 1002,
  extendedGateway: 1003,
} as const;

export const CounterRecordFormat = { genericInterface: 1 } as const;

/** sampled_header.header_protocol values this decoder parses; others are kept as raw bytes only. */
export const HeaderProtocol = { ethernet: 1, ipv4: 11, ipv6: 12 } as const;

/** Fixed sizes of the structures, in bytes, as laid out in XDR. */
export const StructSize = {
  /** version + address type: enough to tell the agent address length. */
  datagramPrefix: 8,
  /** sub_agent_id, sequence, uptime, num_samples after the agent address. */
  datagramTail: 16,
  recordHeader: 8,
  flowSample: 32,
  expandedFlowSample: 44,
  counterSample: 12,
  expandedCounterSample: 16,
  sampledHeaderFixed: 16,
  ethernet: 24,
  ipv4: 32,
  ipv6: 56,
  extendedSwitch: 16,
  genericInterfaceCounters: 88,
} as const;
