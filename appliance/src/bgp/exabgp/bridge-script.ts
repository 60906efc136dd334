// The tiny program ExaBGP runs as its API `process`: it relays ExaBGP's stdin (acks, JSON events) to the
// controller over a Unix socket and the controller's command lines to ExaBGP's stdout. It is written out as
// plain JavaScript at start (no build step, no tsx, starts in ~40 ms) and holds no state beyond counting acks.
//
// Why it reconnects instead of exiting when the controller goes away: ExaBGP respawns a dead process at most
// 5 times a minute and then exits, dropping every session and so every mitigation. Acks that belong to
// commands of a connection that is gone are counted and dropped, so they are never taken as the answer to a
// command of the next connection (ExaBGP answers in order).
import { writeFile } from 'node:fs/promises';

export const EXABGP_BRIDGE_SOURCE = `// Breakwater ExaBGP API bridge (generated; see appliance/src/bgp/exabgp/bridge-script.ts).
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

const socketPath = process.argv[2];
let socket = null;
let inFlight = 0;
let discard = 0;

createInterface({ input: process.stdin, crlfDelay: Infinity })
  .on('line', (line) => {
    if (line === 'done' || line === 'error') {
      if (inFlight > 0) inFlight--;
      if (discard > 0) {
        discard--;
        return;
      }
    }
    if (socket !== null) socket.write(line + '\\n');
  })
  .on('close', () => process.exit(0));

function open() {
  const s = connect(socketPath);
  let buffer = '';
  s.setEncoding('utf8');
  s.on('connect', () => {
    socket = s;
  });
  s.on('data', (chunk) => {
    buffer += chunk;
    let end;
    while ((end = buffer.indexOf('\\n')) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      if (line.length === 0) continue;
      inFlight++;
      process.stdout.write(line + '\\n');
    }
  });
  s.on('error', () => undefined);
  s.on('close', () => {
    if (socket === s) {
      socket = null;
      discard = inFlight;
    }
    setTimeout(open, 200);
  });
}

open();
`;

export async function writeBridgeScript(path: string): Promise<void> {
  await writeFile(path, EXABGP_BRIDGE_SOURCE, { mode: 0o644 });
}
