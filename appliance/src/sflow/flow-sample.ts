// The decoded views the sFlow decoder hands to its visitor. One instance of each is reused for every sample
// of every datagram (the hot path allocates nothing per sample): a visitor must copy what it keeps before it
// returns. Addresses live in fixed 16-byte arrays; an IPv4 address fills the first 4 bytes and is also kept
// as an unsigned 32-bit number for hashing. 64-bit counters are plain numbers (exact up to 2^53).

/** Which address family an address field holds: 0 none, 4 IPv4, 6 IPv6. */
export type AddressFamily = 0 | 4 | 6;

/** Identity of the datagram a sample came from: the agent (router) and its sub-agent. */
export class DatagramHeader {
  version = 5;
  agentFamily: AddressFamily = 0;
  /** Agent address bytes; IPv4 in [0..3]. */
  readonly agentAddress = new Uint8Array(16);
  /** IPv4 agent address as u32, 0 for IPv6 agents. */
  agentV4 = 0;
  subAgentId = 0;
  sequence = 0;
  uptimeMs = 0;
  sampleCount = 0;

  /** Clears every field (version 0 means "not read"), so nothing of the previous datagram survives a failed decode. */
  reset(): void {
    this.version = 0;
    this.agentFamily = 0;
    this.agentAddress.fill(0);
    this.agentV4 = 0;
    this.subAgentId = 0;
    this.sequence = 0;
    this.uptimeMs = 0;
    this.sampleCount = 0;
  }
}

/**
 * Bits of FlowSample.written: which groups of fields a decoder wrote since the last reset, so reset() clears
 * only those (clearing every field and four 16-byte arrays for every sample was a quarter of the decode time).
 * The decoders set a bit BEFORE writing the group's first field, so a record that fails half-way is still
 * cleared.
 */
export const Written = {
  /** Bytes 0..3 of srcAddress/dstAddress. */
  addresses4: 1,
  /** Any of the 16 bytes of srcAddress/dstAddress. */
  addresses16: 2,
  /** Packet fields from an Ethernet, IPv4 or IPv6 record (not from a sampled header). */
  packetRecord: 4,
  switch: 8,
  router: 16,
  gateway: 32,
} as const;

export class FlowSample {
  readonly datagram: DatagramHeader;
  /** Written bits (above): what reset() must clear. Decoders set them; nothing else reads them. */
  written = 0;
  /** false for a compact flow sample (0:1), true for an expanded one (0:3). */
  expanded = false;
  sequence = 0;
  sourceIdType = 0;
  sourceIdIndex = 0;
  samplingRate = 0;
  samplePool = 0;
  drops = 0;
  inputFormat = 0;
  inputIfIndex = 0;
  outputFormat = 0;
  outputIfIndex = 0;

  // --- What was sampled. Filled from a sampled-header record (1), else from IPv4/IPv6 records (3/4). ---
  /** Which record the packet fields come from: 0 none, 1 sampled header, 3 IPv4 record, 4 IPv6 record. */
  packetSource = 0;
  /** sampled_header header_protocol (1 Ethernet, 11 IPv4, 12 IPv6, ...); 0 without a header record. */
  headerProtocol = 0;
  /** Original length of the packet on the wire (sampled header frame_length, or the IP record's length). */
  frameLength = 0;
  stripped = 0;
  /** Bytes of the sampled header and where they start in the datagram buffer (zero copy). */
  headerLength = 0;
  headerOffset = 0;

  /** Ethernet: MACs as 48-bit numbers, 0 when absent. */
  srcMac = 0;
  dstMac = 0;
  /** 802.1Q VLAN ids: outer (first tag) and inner (QinQ second tag); -1 when absent. */
  vlanOuter = -1;
  vlanInner = -1;
  /** EtherType of the payload after VLAN tags; 0 when unknown. */
  etherType = 0;

  ipVersion: AddressFamily = 0;
  readonly srcAddress = new Uint8Array(16);
  readonly dstAddress = new Uint8Array(16);
  srcV4 = 0;
  dstV4 = 0;
  /** IPv4 protocol or the final IPv6 next header (after extension headers). */
  protocol = 0;
  /** IPv4 total length, or IPv6 payload length + 40; 0 when unknown. */
  ipLength = 0;
  /** TTL or hop limit. */
  ttl = 0;
  dscp = 0;
  ecn = 0;
  /** IPv6 flow label (0 for IPv4). */
  flowLabel = 0;
  /** Fragment offset in 8-byte units, more-fragments and don't-fragment bits. */
  fragmentOffset = 0;
  moreFragments = false;
  dontFragment = false;
  /** True when the packet is a fragment (offset > 0 or MF set, or an IPv6 fragment header). */
  isFragment = false;

  /** True when L4 fields below were read (not for non-first fragments or truncated headers). */
  hasL4 = false;
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  icmpType = -1;
  icmpCode = -1;

  // --- Extended records, each with a presence flag. ---
  hasSwitch = false;
  srcVlan = 0;
  srcPriority = 0;
  dstVlan = 0;
  dstPriority = 0;

  hasRouter = false;
  routerNextHopFamily: AddressFamily = 0;
  readonly routerNextHop = new Uint8Array(16);
  srcMaskLen = 0;
  dstMaskLen = 0;

  hasGateway = false;
  gatewayNextHopFamily: AddressFamily = 0;
  readonly gatewayNextHop = new Uint8Array(16);
  gatewayAs = 0;
  srcAs = 0;
  srcPeerAs = 0;
  /** Destination AS path flattened over its segments, up to asPath.length entries; asPathLength counts them. */
  readonly asPath = new Uint32Array(64);
  asPathLength = 0;
  /** Communities as u32 values (AS << 16 | value), up to communities.length; communityCount counts them. */
  readonly communities = new Uint32Array(64);
  communityCount = 0;
  localPref = 0;

  constructor(datagram: DatagramHeader) {
    this.datagram = datagram;
  }

  /**
   * Back to the state of a new instance: called before every sample so no field leaks into the next one. Groups
   * of fields no decoder wrote since the last reset (Written bits) are already in that state and are skipped.
   */
  reset(): void {
    this.expanded = false;
    this.sequence = 0;
    this.sourceIdType = 0;
    this.sourceIdIndex = 0;
    this.samplingRate = 0;
    this.samplePool = 0;
    this.drops = 0;
    this.inputFormat = 0;
    this.inputIfIndex = 0;
    this.outputFormat = 0;
    this.outputIfIndex = 0;
    this.resetPacket();
    const written = this.written;
    if (written & Written.switch) {
      this.hasSwitch = false;
      this.srcVlan = 0;
      this.srcPriority = 0;
      this.dstVlan = 0;
      this.dstPriority = 0;
    }
    if (written & Written.router) {
      this.hasRouter = false;
      this.routerNextHopFamily = 0;
      this.routerNextHop.fill(0);
      this.srcMaskLen = 0;
      this.dstMaskLen = 0;
    }
    if (written & Written.gateway) {
      this.hasGateway = false;
      this.gatewayNextHopFamily = 0;
      this.gatewayNextHop.fill(0);
      this.gatewayAs = 0;
      this.srcAs = 0;
      this.srcPeerAs = 0;
      // Only the used prefix can hold old values.
      this.asPath.fill(0, 0, this.asPathLength);
      this.asPathLength = 0;
      this.communities.fill(0, 0, this.communityCount);
      this.communityCount = 0;
      this.localPref = 0;
    }
    this.written = 0;
  }

  /**
   * Clears what was sampled (L2 to L4). Separate from reset() because a sampled-header record replaces
   * whatever an IPv4/IPv6 record (3/4) of the same sample already filled in.
   */
  resetPacket(): void {
    const written = this.written;
    if (written & Written.addresses16) {
      this.srcAddress.fill(0);
      this.dstAddress.fill(0);
    } else if (written & Written.addresses4) {
      // An IPv4 address: four byte stores each are cheaper than two fill() calls.
      const src = this.srcAddress;
      const dst = this.dstAddress;
      src[0] = 0; src[1] = 0; src[2] = 0; src[3] = 0;
      dst[0] = 0; dst[1] = 0; dst[2] = 0; dst[3] = 0;
    }
    this.written = written & ~(Written.addresses4 | Written.addresses16 | Written.packetRecord);
    this.packetSource = 0;
    this.headerProtocol = 0;
    this.frameLength = 0;
    this.stripped = 0;
    this.headerLength = 0;
    this.headerOffset = 0;
    this.srcMac = 0;
    this.dstMac = 0;
    this.vlanOuter = -1;
    this.vlanInner = -1;
    this.etherType = 0;
    this.ipVersion = 0;
    this.srcV4 = 0;
    this.dstV4 = 0;
    this.protocol = 0;
    this.ipLength = 0;
    this.ttl = 0;
    this.dscp = 0;
    this.ecn = 0;
    this.flowLabel = 0;
    this.fragmentOffset = 0;
    this.moreFragments = false;
    this.dontFragment = false;
    this.isFragment = false;
    this.hasL4 = false;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.icmpType = -1;
    this.icmpCode = -1;
  }
}

/** Generic interface counters (counter record 0:1). */
export class InterfaceCounters {
  ifIndex = 0;
  ifType = 0;
  ifSpeed = 0;
  ifDirection = 0;
  ifStatus = 0;
  inOctets = 0;
  inUcastPkts = 0;
  inMulticastPkts = 0;
  inBroadcastPkts = 0;
  inDiscards = 0;
  inErrors = 0;
  inUnknownProtos = 0;
  outOctets = 0;
  outUcastPkts = 0;
  outMulticastPkts = 0;
  outBroadcastPkts = 0;
  outDiscards = 0;
  outErrors = 0;
  promiscuousMode = 0;

  reset(): void {
    this.ifIndex = 0;
    this.ifType = 0;
    this.ifSpeed = 0;
    this.ifDirection = 0;
    this.ifStatus = 0;
    this.inOctets = 0;
    this.inUcastPkts = 0;
    this.inMulticastPkts = 0;
    this.inBroadcastPkts = 0;
    this.inDiscards = 0;
    this.inErrors = 0;
    this.inUnknownProtos = 0;
    this.outOctets = 0;
    this.outUcastPkts = 0;
    this.outMulticastPkts = 0;
    this.outBroadcastPkts = 0;
    this.outDiscards = 0;
    this.outErrors = 0;
    this.promiscuousMode = 0;
  }
}

export class CounterSample {
  readonly datagram: DatagramHeader;
  expanded = false;
  sequence = 0;
  sourceIdType = 0;
  sourceIdIndex = 0;
  /** True when a generic interface counters record (0:1) was present. */
  hasInterface = false;
  readonly interface = new InterfaceCounters();

  constructor(datagram: DatagramHeader) {
    this.datagram = datagram;
  }

  /** Back to the state of a new instance: called before every sample so no field leaks into the next one. */
  reset(): void {
    this.expanded = false;
    this.sequence = 0;
    this.sourceIdType = 0;
    this.sourceIdIndex = 0;
    this.hasInterface = false;
    this.interface.reset();
  }
}

/** Receives decoded samples. Both views are reused: copy what you keep before returning. */
export interface SflowVisitor {
  onFlowSample(sample: FlowSample, datagram: Uint8Array): void;
  onCounterSample(sample: CounterSample): void;
}
