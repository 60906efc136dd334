// The `capture` configuration section: the sampled-header rings kept before an attack and the pcap file written
// for each attack (capture/attack-capture.ts). Part of config/schema.ts; docs/configuration.md's key table is
// generated from it.
import { Type, type Static } from '@sinclair/typebox';

export const CaptureSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description:
        'Keep recent sampled packet headers and write each attack\'s samples to DATADIR/attacks/<attack id>.pcap. Off: the intake carries no header bytes and nothing of the capture runs.',
    }),
    snapLength: Type.Integer({
      default: 128,
      minimum: 14,
      maximum: 1024,
      description: 'Bytes of each sampled header kept (flow record 1; routers send 64–256). Longer headers are cut; the pcap records the frame length as the original length.',
    }),
    trackedDestinations: Type.Integer({
      default: 256,
      minimum: 1,
      maximum: 65536,
      description: 'Destinations with a ring of their own: the top N by recent sample count (a Space-Saving table, counts halved every 10 s).',
    }),
    ringDepth: Type.Integer({
      default: 256,
      minimum: 1,
      maximum: 4096,
      description: 'Most recent sampled headers kept per tracked destination.',
    }),
    globalRingDepth: Type.Integer({
      default: 2048,
      minimum: 1,
      maximum: 1048576,
      description:
        'Sampled headers of the traffic to destinations not tracked, for attacks on them: every n-th such sample, n set each second so that the ring spans about the last second (n = 1 below globalRingDepth samples a second).',
    }),
    maxActiveAttacks: Type.Integer({
      default: 32,
      minimum: 1,
      maximum: 1024,
      description: 'Attacks captured at once; an attack that starts beyond it gets no pcap file (counted in /health capture.attacksNotCaptured).',
    }),
    maxPacketsPerAttack: Type.Integer({
      default: 100000,
      minimum: 1,
      description: 'Most sampled packets written to one attack\'s pcap file; later samples are counted, not written.',
    }),
    maxBytesPerAttack: Type.Integer({
      default: 67108864,
      minimum: 4096,
      description: 'Largest pcap file of one attack (bytes, headers included); later samples are counted, not written.',
    }),
    writeBufferBytes: Type.Integer({
      default: 4194304,
      minimum: 131072,
      maximum: 268435456,
      description:
        'Memory for pcap bytes waiting to be written to disk, shared by all attacks (64 KiB chunks). When the disk falls behind and it is full, samples are dropped and counted; the receive loop never waits.',
    }),
    retentionDays: Type.Integer({
      default: 30,
      minimum: 1,
      description: 'Attack pcap files older than this are deleted (checked at start, hourly and when an attack ends).',
    }),
    maxTotalBytes: Type.Integer({
      default: 1073741824,
      minimum: 1048576,
      description: 'Most bytes all attack pcap files may take together; past it the oldest files of ended attacks are deleted.',
    }),
  },
  { default: {}, additionalProperties: false },
);

export type CaptureConfig = Static<typeof CaptureSchema>;
