// `breakwater demo`: the appliance on a demo configuration that feeds itself synthetic sFlow and records routes
// instead of announcing them (demo/demo-run.ts). Prints the panel URL and the one-time setup token, then what
// happens, until Ctrl-C or --duration. Nothing leaves the machine: sFlow goes over loopback and the demo speaker
// talks to no router.
import { parseArgs } from 'node:util';
import { startDemo } from '../../demo/demo-run.js';
import { BreakwaterError, isBreakwaterError } from '../../errors.js';
import { createLogger } from '../../log.js';
import type { Command } from '../command.js';

const MAX_SECONDS = 24 * 3600;

export const demo: Command = {
  path: ['demo'],
  summary: 'run a self-contained demo: synthetic attacks, the default runbook, routes recorded not announced (DEMO)',
  usage: 'breakwater demo [--data-dir DIR] [--listen HOST:PORT] [--duration SECONDS] [--attack-every SECONDS] [--log-level LEVEL]',
  async run(args, io) {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          'data-dir': { type: 'string' },
          listen: { type: 'string', default: '127.0.0.1:8443' },
          duration: { type: 'string', default: '3600' },
          'attack-every': { type: 'string', default: '180' },
          'log-level': { type: 'string', default: 'error' },
        },
      }));
    } catch (err) {
      io.stderr.write(`BW_ERR_CLI_USAGE: ${(err as Error).message}\nusage: ${demo.usage}\n`);
      return 2;
    }
    const duration = Number(values.duration);
    const every = Number(values['attack-every']);
    if (!(duration > 0 && duration <= MAX_SECONDS) || !(every >= 60 && every <= 3600)) {
      const usage = new BreakwaterError('BW_ERR_CLI_USAGE', [`--duration must be 1..${MAX_SECONDS} s and --attack-every 60..3600 s`]);
      io.stderr.write(`${usage.code}: ${usage.message}\n`);
      return 2;
    }
    const log = createLogger({ level: values['log-level']! });
    let running;
    try {
      running = await startDemo({ log, listen: values.listen!, ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}), logLevel: values['log-level']!, schedule: { attackEverySeconds: every } });
    } catch (err) {
      io.stderr.write(`${isBreakwaterError(err) ? err.code + ': ' : ''}${(err as Error).message}\n`);
      log.flush();
      return 1;
    }
    const say = (line: string) => io.stdout.write(`${line}\n`);
    say('Breakwater DEMO: synthetic sFlow over loopback; routes are recorded, never announced to any router.');
    say(`  panel:       ${running.panelUrl}/`);
    if (running.setupUrl !== undefined) say(`  setup link:  ${running.setupUrl}\n  setup token: ${running.setupToken}   (one-time: creates the first administrator)`);
    say(`  API docs:    ${running.panelUrl}/api/v1/docs`);
    say(`  data dir:    ${running.dataDir}   (recorded routes: bgp/demo/recorded-routes.jsonl)`);
    say(`  the first attack starts in about 10 s, then one every ${every} s; Ctrl-C stops the demo.`);

    // What the engine does, one line each, so the console tells the story without the panel.
    const unsubscribe = [
      running.appliance.bus.onAny((e) => {
        if (e.type !== 'attack.updated') say(`[${new Date().toISOString().slice(11, 19)}] ${e.type} ${e.attack.vector} on ${e.attack.target}`);
      }),
      running.appliance.mitigationEvents.onAny((e) => say(`[${new Date().toISOString().slice(11, 19)}] ${e.type} ${e.attack.target}${e.stage !== undefined ? ` stage ${e.stage.name}${e.tier !== undefined ? ` (${e.tier})` : ''}` : ''}${e.reason !== undefined ? `: ${e.reason}` : ''}`)),
    ];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, duration * 1000);
      function finish() {
        clearTimeout(timer);
        process.off('SIGINT', finish);
        process.off('SIGTERM', finish);
        resolve();
      }
      process.on('SIGINT', finish);
      process.on('SIGTERM', finish);
    });
    for (const u of unsubscribe) u();
    await running.stop();
    say('demo stopped');
    log.flush();
    return 0;
  },
};
