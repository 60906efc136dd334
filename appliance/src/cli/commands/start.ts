// `breakwater start`: runs the appliance until SIGTERM or SIGINT, then shuts down within a bound. SIGHUP
// reloads the configuration file: it is validated as a whole, and only a valid one replaces the running
// runbooks and mitigation settings (the rest waits for a restart); an invalid one is logged with
// BW_ERR_CONFIG_RELOAD and the running configuration stays.
import { parseArgs } from 'node:util';
import { Appliance } from '../../appliance.js';
import { loadConfig } from '../../config/load.js';
import { BreakwaterError, isBreakwaterError } from '../../errors.js';
import { createLogger } from '../../log.js';
import type { Command } from '../command.js';

export const start: Command = {
  path: ['start'],
  summary: 'run the appliance (embedded defaults unless --config is given)',
  usage: 'breakwater start [--config FILE] [--data-dir DIR] [--log-level LEVEL]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        'log-level': { type: 'string' },
      },
    });
    let config;
    try {
      config = await loadConfig(values.config);
    } catch (err) {
      io.stderr.write(`${isBreakwaterError(err) ? err.code + ': ' : ''}${(err as Error).message}\n`);
      return 1;
    }
    if (values['data-dir'] !== undefined) config.dataDir = values['data-dir'];
    if (values['log-level'] !== undefined) config.log.level = values['log-level'] as typeof config.log.level;

    const log = createLogger({ level: config.log.level });
    const appliance = new Appliance({ config, log, configPath: values.config });
    // Signals are listened for before starting: a SIGTERM/SIGINT that arrives while components start (the API
    // making its certificate, a daemon spawning) stops the appliance once start is done, and a SIGHUP reloads
    // then, instead of the default action killing the process half-started with its children and routes left.
    let stopRequested: (signal: NodeJS.Signals) => void = () => {};
    const stopSignal = new Promise<NodeJS.Signals>((resolve) => (stopRequested = resolve));
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      stopRequested(signal);
    };
    let markStarted: () => void = () => {};
    // One reload at a time, in the order the signals came, the first after start.
    let reloading: Promise<void> = new Promise<void>((resolve) => (markStarted = resolve));
    const onHangup = () => {
      reloading = reloading.then(async () => {
        if (values.config === undefined) {
          log.info('SIGHUP: running on embedded defaults (no --config); nothing to reload');
          return;
        }
        try {
          const next = await loadConfig(values.config);
          next.dataDir = config.dataDir;
          next.log.level = config.log.level;
          const { restartNeeded } = await appliance.reload(next);
          log.info({ file: values.config, restartNeeded }, 'configuration reloaded');
        } catch (err) {
          const refused = new BreakwaterError('BW_ERR_CONFIG_RELOAD', [(err as Error).message], { cause: err });
          log.error({ code: refused.code, err: refused }, refused.message);
          appliance.reloadRefused(refused.message);
        }
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onHangup);
    try {
      await appliance.start();
      markStarted();
    } catch (err) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('SIGHUP', onHangup);
      log.fatal({ err }, 'appliance failed to start');
      await appliance.stop(5_000);
      log.flush();
      return 1;
    }
    log.info({ signal: await stopSignal }, 'shutting down');
    process.off('SIGHUP', onHangup);
    await reloading;
    await appliance.stop();
    log.flush();
    return 0;
  },
};
