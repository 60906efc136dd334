// Two seconds of a SYN flood on 198.51.100.99 (100k pps at 1:100), generated up front and sent over UDP to an
// appliance's sFlow port, paced to the flood's own timeline; resolves with the appliance's attack.started (or
// rejects after 10 s). Shared by the appliance-level detection tests of both detection modes.
import type { Socket } from 'node:dgram';
import type { AttackEvent } from '../../src/detection/attack.js';
import { attackTraffic, rate, ScenarioRunner } from '../../src/synthetic/traffic-scenarios.js';

export const LIVE_FLOOD_TARGET = '198.51.100.99';

export async function sendSynFloodUntilStarted(socket: Socket, port: number, started: Promise<AttackEvent>): Promise<AttackEvent> {
  const datagrams: { bytes: Buffer; at: number }[] = [];
  new ScenarioRunner({ name: 'live', durationMs: 2000, seed: 1, attacks: [], shapes: [attackTraffic('syn_flood', { to: LIVE_FLOOD_TARGET, rate: rate.constant(100_000), samplingRate: 100 })] }).run({
    startAtMs: 0,
    onDatagram: (d, t) => datagrams.push({ bytes: Buffer.from(d), at: t }),
  });
  const begin = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no attack.started within 10 s')), 10_000)));
  const send = (async () => {
    for (const d of datagrams) {
      const wait = begin + d.at - Date.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      socket.send(d.bytes, port, '127.0.0.1');
    }
  })();
  try {
    return await Promise.race([started, timeout]);
  } finally {
    clearTimeout(timer);
    await send;
  }
}
