// Runs Breakwater's sFlow intake alone (intake + per-destination table, nothing else of the appliance) for
// bench/ingest. Usage: breakwater-receiver.ts HOST:PORT WORKERS [auto|dgram|recvmmsg]. Each line "stats" on stdin is answered with
// one JSON line on stdout; "stop" (or end of stdin) stops it cleanly.
import { createInterface } from 'node:readline';
import { DestinationTable } from '../../appliance/src/counting/destination-table.js';
import { SflowIntake } from '../../appliance/src/intake/sflow-intake.js';
import { createLogger } from '../../appliance/src/log.js';

const [listen = '127.0.0.1:6343', workersArg = '0', receiveWith = 'auto'] = process.argv.slice(2);
const destinations = new DestinationTable(262_144);
const intake = new SflowIntake({
  config: { listen: [listen], receiveBufferBytes: 32 << 20, workers: Number(workersArg), maxAgents: 10_000 },
  destinations,
  log: createLogger({ level: 'warn', fd: 2 }),
  receiveWith: receiveWith as 'auto' | 'dgram' | 'recvmmsg',
});
await intake.start();
process.stdout.write(`${JSON.stringify({ ready: true, sockets: intake.boundSockets, receiveWith: (intake.report() as { receiveWith: string }).receiveWith })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await intake.stop();
  process.exit(0);
}
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'stats') {
    const c = intake.consumer;
    const r = intake.report() as { drops: Record<string, number>; datagramsReceived: number };
    process.stdout.write(
      `${JSON.stringify({ flowSamples: c.flowSamples, datagrams: c.datagrams, counted: destinations.totalSamples, destinations: destinations.size, drops: r.drops, datagramsReceived: r.datagramsReceived })}\n`,
    );
  } else if (line.trim() === 'stop') void stop();
});
lines.on('close', () => void stop());
process.on('SIGTERM', () => void stop());
