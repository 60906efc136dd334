// Public entry of the appliance package (for tests, benchmarks and embedding).
export { Appliance } from './appliance.js';
export { loadConfig, validateConfig } from './config/load.js';
export type { Config } from './config/schema.js';
export { BreakwaterError, errorCodes, type ErrorCode } from './errors.js';
