// Copies a few dozen to a few hundred bytes between two buffers on the hot path, four at a time through
// DataViews (unaligned reads and writes are fine there, and TurboFan lowers them inline), then the tail byte by
// byte. A plain byte loop costs about four times as much; TypedArray.set would need a subarray object per
// copy. Used for sampled headers: FlowBatch writer → batch, batch → capture rings, rings → pcap chunks.

/** Copies `count` bytes from `src` at `from` to `dst` at `to` (offsets relative to each view's start). */
export function copyBytes(src: DataView, from: number, dst: DataView, to: number, count: number): void {
  const words = count & ~3;
  let i = 0;
  for (; i < words; i += 4) dst.setUint32(to + i, src.getUint32(from + i, true), true);
  for (; i < count; i++) dst.setUint8(to + i, src.getUint8(from + i));
}
