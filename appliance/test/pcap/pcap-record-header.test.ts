// The allocation-free record header the attack capture packs its chunks with is byte for byte what
// encodePcap writes, and sFlow header protocols map to the link types the capture promises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePcap, LinkType, linkTypeOfSflowHeader, PCAP_GLOBAL_HEADER_LENGTH, PCAP_RECORD_HEADER_LENGTH, writePcapRecordHeader } from '../../src/pcap/pcap-writer.js';

test('writePcapRecordHeader writes what encodePcap writes', () => {
  const cases = [
    { timestampMicros: 1_767_000_123_456_789, captured: 128, original: 1514 },
    { timestampMicros: 0, captured: 0, original: 0 },
    { timestampMicros: 4_294_967_295_999_999, captured: 64, original: 0xffffffff },
  ];
  for (const c of cases) {
    const file = encodePcap([{ data: new Uint8Array(c.captured), timestampMicros: c.timestampMicros, originalLength: c.original }]);
    const expected = file.subarray(PCAP_GLOBAL_HEADER_LENGTH, PCAP_GLOBAL_HEADER_LENGTH + PCAP_RECORD_HEADER_LENGTH);
    const target = new Uint8Array(40).fill(0xee);
    writePcapRecordHeader(target, 7, c.timestampMicros, c.captured, c.original);
    assert.deepEqual([...target.subarray(7, 7 + PCAP_RECORD_HEADER_LENGTH)], [...expected], JSON.stringify(c));
    assert.equal(target[6], 0xee);
    assert.equal(target[7 + PCAP_RECORD_HEADER_LENGTH], 0xee, 'nothing written past the 16 bytes');
  }
});

test('sFlow header protocols map to pcap link types', () => {
  assert.equal(linkTypeOfSflowHeader(1), LinkType.ETHERNET);
  assert.equal(linkTypeOfSflowHeader(11), LinkType.RAW);
  assert.equal(linkTypeOfSflowHeader(12), LinkType.RAW);
  for (const other of [0, 2, 7, 13, 14, 255]) assert.equal(linkTypeOfSflowHeader(other), -1, String(other));
});
