// A Breakwater controller reduced to the mitigation engine, its tier plugins (first-party, from source) and a
// real BGP speaker, run as its own process inside the speaker's network namespace, so a test can kill -9 it
// and start another on the same data directory. The engine's clock is fake and moved by the test. Reads
// {config, tiers, now} from the JSON file named on the command line, prints {"ready":true}, then answers
// JSON-line requests on stdin: publish (an attack event), advance (ms), list, audit, desired, stop.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { AuditStore } from '../../../src/audit/audit-store.js';
import { createSpeaker } from '../../../src/bgp/create-speaker.js';
import { EventBus } from '../../../src/bus/event-bus.js';
import { validateConfig } from '../../../src/config/load.js';
import type { AttackEvent } from '../../../src/detection/attack.js';
import { isBreakwaterError } from '../../../src/errors.js';
import { createLogger } from '../../../src/log.js';
import { MitigationEngine } from '../../../src/mitigation/mitigation-engine.js';
import { createMitigationBus } from '../../../src/mitigation/mitigation-events.js';
import { databasePath, openDatabase } from '../../../src/storage/sqlite.js';
import { SourceTiers, firstParty } from './source-tiers.js';

interface Input {
  config: Record<string, unknown>;
  tiers: { folder: string; config?: unknown }[];
  now: number;
}

const input = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Input;
const result = validateConfig(input.config);
if (!result.ok) {
  process.stdout.write(JSON.stringify({ ready: false, problems: result.problems }) + '\n');
  process.exit(2);
}
const config = result.config;
const log = createLogger({ level: process.env.BWT_LOG_LEVEL ?? 'warn', fd: 2 });
let now = input.now;
const speaker = createSpeaker({ config: config.bgp, dataDir: config.dataDir, log });
const bus = new EventBus<AttackEvent>();
const engine: MitigationEngine = new MitigationEngine({
  config,
  attacks: bus,
  events: createMitigationBus(),
  tiers: { engage: (...a) => tiers.engage(...a), disengage: (...a) => tiers.disengage(...a), verify: (...a) => tiers.verify(...a) },
  ...(speaker !== undefined ? { speaker } : {}),
  log,
  clock: () => now,
  timer: false,
});
const tiers = new SourceTiers(input.tiers.map((t) => ({ ...firstParty(t.folder), config: t.config ?? {} })), (plugin) => engine.facadesFor(plugin), log);

try {
  await speaker?.start();
  await tiers.start();
  await engine.start();
  await engine.idle();
} catch (err) {
  process.stdout.write(JSON.stringify({ ready: false, code: isBreakwaterError(err) ? err.code : undefined, message: (err as Error).message }) + '\n');
  process.exit(3);
}
process.stdout.write(JSON.stringify({ ready: true, pid: process.pid }) + '\n');

async function handle(op: string, args: Record<string, unknown>): Promise<unknown> {
  switch (op) {
    case 'publish':
      bus.publish(args.event as AttackEvent);
      await engine.idle();
      return engine.list();
    case 'advance': {
      const until = now + Number(args.ms);
      while (now < until) {
        now = Math.min(until, now + Number(args.stepMs ?? 1000));
        engine.tick();
        await engine.idle();
      }
      return { now, mitigations: engine.list() };
    }
    case 'list':
      return engine.list();
    case 'audit': {
      const h = openDatabase(databasePath(config.dataDir));
      try {
        return new AuditStore(h.db).query(args as never);
      } finally {
        h.release();
      }
    }
    case 'desired':
      return speaker?.desiredRoutes() ?? [];
    case 'stop':
      await engine.stop();
      await tiers.stop();
      await speaker?.stop();
      log.flush();
      setImmediate(() => process.exit(0));
      return null;
  }
  throw new Error(`unknown op ${op}`);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, op, args } = JSON.parse(line) as { id: number; op: string; args?: Record<string, unknown> };
  handle(op, args ?? {}).then(
    (value) => process.stdout.write(JSON.stringify({ id, ok: true, value: value ?? null }) + '\n'),
    (err: unknown) => process.stdout.write(JSON.stringify({ id, ok: false, code: isBreakwaterError(err) ? err.code : undefined, message: (err as Error).message }) + '\n'),
  );
});
