// Isolation fixture: a tier that misbehaves in the way the runbook stage's name asks for. Only safe to run in
// a child process (block and crash would take the test process with them in-process), except "leak".
import { defineTier, Type } from '@breakwater/sdk';

export default defineTier({
  name: 'misbehaving-tier',
  apiVersion: 1,
  configSchema: Type.Object({}),
  create() {
    return {
      engage(attack, stage) {
        switch (stage.name) {
          case 'block': {
            // A synchronous loop: the event loop of whatever process runs this is stuck.
            const end = Date.now() + 30_000;
            while (Date.now() < end);
            break;
          }
          case 'crash':
            process.exit(3);
            break;
          case 'leak':
            // Nobody awaits this promise; it rejects after the hook has returned.
            new Promise((_, reject) => setTimeout(() => reject(new Error('leaked rejection from misbehaving-tier')), 5));
            break;
        }
        return { id: `ok-${process.pid}`, summary: stage.name };
      },
      disengage() {},
    };
  },
});
