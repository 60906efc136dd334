// Where an attack's capture lives: DATADIR/attacks/<attack id>.pcap. The capture writer creates the file; the
// attack history and `breakwater attacks pcap ID` read it. This module owns only the naming rule, so both
// sides agree on it; it does no I/O.
import { join } from 'node:path';
import { BreakwaterError } from '../errors.js';

/** The folder below the data directory that holds one pcap file per attack. */
export const ATTACKS_DIR_NAME = 'attacks';

/** Attack ids are short and sortable (detection/detector.ts: base-36 start time, "-", sequence). */
const ATTACK_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function attacksDir(dataDir: string): string {
  return join(dataDir, ATTACKS_DIR_NAME);
}

/**
 * The pcap file of attack `attackId`. Throws BW_ERR_CAPTURE_ATTACK_ID for an id that could not have come from
 * detection (a path separator, "..", empty, too long), so an id from a URL or a command line never escapes
 * the folder.
 */
export function attackPcapPath(dataDir: string, attackId: string): string {
  if (!ATTACK_ID.test(attackId)) throw new BreakwaterError('BW_ERR_CAPTURE_ATTACK_ID', [JSON.stringify(attackId)]);
  return join(attacksDir(dataDir), `${attackId}.pcap`);
}
