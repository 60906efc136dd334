// `breakwater notify test CHANNEL`: loads one configured notification channel as the appliance would (its
// plugin, settings and secrets) and sends it a test message about an example attack, once, directly (not
// through the outbox, so the answer is shown at once). Exit 0 when the provider took it; otherwise the
// error code, the provider's answer and whether the outbox would retry it. Secrets never appear in the output.
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/load.js';
import { scrubSecrets } from '../../config/secret.js';
import { isBreakwaterError } from '../../errors.js';
import { createLogger } from '../../log.js';
import { loadChannels } from '../../notify/channels.js';
import { classifyFailure } from '../../notify/delivery-outcome.js';
import { testEvent } from '../../notify/test-event.js';
import type { Command } from '../command.js';

export const notifyTest: Command = {
  path: ['notify', 'test'],
  summary: 'send a test message through one configured notification channel',
  usage: 'breakwater notify test CHANNEL [--config FILE] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: { config: { type: 'string' }, json: { type: 'boolean', default: false } }, allowPositionals: true });
    const name = positionals[0];
    if (name === undefined || positionals.length > 1) {
      io.stderr.write(`usage: ${this.usage}\n`);
      return 2;
    }
    const report = (ok: boolean, fields: Record<string, unknown>, text: string) => {
      if (values.json) io.stdout.write(JSON.stringify({ ok, channel: name, ...fields }) + '\n');
      else (ok ? io.stdout : io.stderr).write(text + '\n');
      return ok ? 0 : 1;
    };
    let config;
    try {
      config = await loadConfig(values.config);
    } catch (err) {
      return report(false, { code: isBreakwaterError(err) ? err.code : 'BW_ERR_CONFIG_READ', message: (err as Error).message }, `${isBreakwaterError(err) ? err.code + ': ' : ''}${(err as Error).message}`);
    }
    const settings = config.notify.channels[name];
    if (settings === undefined) {
      const known = Object.keys(config.notify.channels);
      const message = `channel ${name} is not configured (notify.channels has ${known.length === 0 ? 'none' : known.join(', ')})`;
      return report(false, { code: 'BW_ERR_NOTIFY_CHANNEL', message }, `BW_ERR_NOTIFY_CHANNEL: ${message}`);
    }
    // The plugin's own log lines go to stderr, so a failing test shows what the plugin said.
    const log = createLogger({ level: 'warn', fd: 2 });
    const [channel] = await loadChannels(config, log, { only: [name] });
    try {
      if (channel?.handle === undefined) {
        const error = channel?.error ?? { code: 'BW_ERR_NOTIFY_CHANNEL', message: `channel ${name} did not load` };
        return report(false, { plugin: settings.plugin, ...error }, `${error.code}: ${error.message}`);
      }
      const event = testEvent(name, config.notify.panelUrl);
      try {
        await channel.handle.call('notify', [event]);
      } catch (err) {
        const failure = classifyFailure(err);
        const message = scrubSecrets(failure.message, channel.secrets);
        const retried = failure.kind !== 'rejected';
        const extra = `${failure.status !== undefined ? ` (status ${failure.status})` : ''}${failure.retryAfterMs !== undefined ? ` (retry after ${Math.ceil(failure.retryAfterMs / 1000)} s)` : ''}`;
        return report(
          false,
          { plugin: settings.plugin, code: failure.code, message, ...(failure.status !== undefined ? { status: failure.status } : {}), retried },
          `${name} (${settings.plugin}): ${failure.code}: ${message}${extra}; the outbox would ${retried ? 'retry this' : 'give this up at once'}`,
        );
      }
      return report(true, { plugin: settings.plugin, eventId: event.id }, `${name} (${settings.plugin}): test message delivered`);
    } finally {
      await channel?.handle?.stop();
      log.flush();
    }
  },
};
