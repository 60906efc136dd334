// A Breakwater controller reduced to its BGP speaker, run as its own process inside the speaker's network
// namespace so the tests can kill -9 it like a real controller. It reads {dataDir, bgp} from the JSON file
// named on the command line (validated and defaulted like the real configuration), starts the speaker, prints
// {"ready":true} and then answers JSON-line requests on stdin: {"id":1,"op":"announceFlow","args":[...]}.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createSpeaker } from '../../../src/bgp/create-speaker.js';
import { validateConfig } from '../../../src/config/load.js';
import { isBreakwaterError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: controller-main.ts CONFIG.json');
const result = validateConfig(JSON.parse(readFileSync(file, 'utf8')));
if (!result.ok) {
  process.stdout.write(JSON.stringify({ ready: false, problems: result.problems }) + '\n');
  process.exit(2);
}
const config = result.config;
const log = createLogger({ level: process.env.BWT_LOG_LEVEL ?? 'warn', fd: 2 });
const speaker = createSpeaker({ config: config.bgp, dataDir: config.dataDir, log });
if (speaker === undefined) throw new Error('bgp.speaker is none');

try {
  await speaker.start();
} catch (err) {
  process.stdout.write(JSON.stringify({ ready: false, code: isBreakwaterError(err) ? err.code : undefined, message: (err as Error).message }) + '\n');
  process.exit(3);
}
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid }) + '\n');

type Op = 'announceFlow' | 'withdrawFlow' | 'announceRtbh' | 'withdrawRtbh' | 'withdrawOwner' | 'desiredRoutes' | 'peers' | 'reconcile' | 'stop';

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await speaker!.stop();
  log.flush();
  process.exit(0);
}

createInterface({ input: process.stdin })
  .on('line', async (line) => {
    const { id, op, args } = JSON.parse(line) as { id: number; op: Op; args: unknown[] };
    const reply = (body: object): void => {
      process.stdout.write(JSON.stringify({ id, ...body }) + '\n');
    };
    try {
      if (op === 'stop') {
        reply({ ok: true, value: null });
        await stop();
        return;
      }
      const fn = (speaker as unknown as Record<string, (...a: unknown[]) => unknown>)[op]!;
      const value = await fn.apply(speaker, args ?? []);
      reply({ ok: true, value: value ?? null });
    } catch (err) {
      reply({ ok: false, code: isBreakwaterError(err) ? err.code : undefined, message: (err as Error).message });
    }
  })
  .on('close', () => void stop());
