// Builds the configured speaker: the desired-state store under DATADIR/bgp, the daemon integration for
// bgp.speaker, and the BgpSpeaker that joins them. Construction does no I/O; start() does.
import { join } from 'node:path';
import type { BgpConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { BgpSpeaker } from './bgp-speaker.js';
import { BirdDaemon } from './bird/bird-daemon.js';
import { DemoSpeakerDaemon } from '../demo/demo-speaker-daemon.js';
import { DesiredStateStore } from './desired-state.js';
import { ExabgpDaemon } from './exabgp/exabgp-daemon.js';
import { FrrDaemon } from './frr/frr-daemon.js';
import { GobgpDaemon } from './gobgp/gobgp-daemon.js';
import type { SpeakerDaemon, SpeakerDaemonContext } from './speaker-daemon.js';

export interface CreateSpeakerOptions {
  config: BgpConfig;
  dataDir: string;
  log: Logger;
}

/** The speaker for bgp.speaker, or undefined when it is "none". */
export function createSpeaker(options: CreateSpeakerOptions): BgpSpeaker | undefined {
  const { config, dataDir, log } = options;
  if (config.speaker === 'none') return undefined;
  const store = new DesiredStateStore(join(dataDir, 'bgp', 'desired-routes.json'));
  const context: SpeakerDaemonContext = {
    config,
    dir: join(dataDir, 'bgp', config.speaker),
    desired: () => store.all(),
    log: log.child({ speaker: config.speaker }),
  };
  return new BgpSpeaker({ config, store, daemon: createDaemon(config.speaker, context), log });
}

function createDaemon(kind: Exclude<BgpConfig['speaker'], 'none'>, context: SpeakerDaemonContext): SpeakerDaemon {
  switch (kind) {
    case 'exabgp':
      return new ExabgpDaemon(context);
    case 'bird':
      return new BirdDaemon(context);
    case 'gobgp':
      return new GobgpDaemon(context);
    case 'frr':
      return new FrrDaemon(context);
    case 'demo':
      return new DemoSpeakerDaemon(context);
  }
}
