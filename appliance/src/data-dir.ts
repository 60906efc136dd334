// The data directory: every piece of state the appliance keeps lives below it.
import { access, constants, mkdir } from 'node:fs/promises';
import { BreakwaterError } from './errors.js';

export async function prepareDataDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o750 });
    await access(dir, constants.R_OK | constants.W_OK);
  } catch (err) {
    throw new BreakwaterError('BW_ERR_DATA_DIR', [dir, (err as Error).message], { cause: err });
  }
}
