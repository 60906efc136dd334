// The configuration schema: one TypeBox source for the TypeScript types, the validation and docs/configuration.md.
// Every key has a default, so an empty file (or no file) is a working appliance on embedded defaults.
import { Type, type Static } from '@sinclair/typebox';

const ListenAddress = Type.String({
  description: 'host:port; IPv6 hosts in brackets, e.g. "[::]:6343"',
  pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^\\[\\]:]+):[0-9]{1,5}$',
});

export const SflowSchema = Type.Object(
  {
    listen: Type.Array(ListenAddress, {
      default: ['0.0.0.0:6343', '[::]:6343'],
      minItems: 1,
      description: 'UDP addresses sFlow v5 is received on.',
    }),
    receiveBufferBytes: Type.Integer({
      default: 33554432,
      minimum: 65536,
      description: 'SO_RCVBUF asked for on each sFlow socket; the kernel caps it at net.core.rmem_max.',
    }),
    workers: Type.Integer({
      default: 0,
      minimum: 0,
      maximum: 64,
      description: 'Decoder processes sharing the sFlow sockets; 0 decodes in the controller process itself.',
    }),
    maxAgents: Type.Integer({
      default: 10000,
      minimum: 1,
      description: 'Most sFlow agents (address + sub-agent) tracked at once; datagrams from further agents are counted and dropped.',
    }),
  },
  { default: {}, additionalProperties: false },
);

export const HealthSchema = Type.Object(
  {
    host: Type.String({ default: '127.0.0.1', description: 'Address of the health endpoint; keep it on loopback.' }),
    port: Type.Integer({ default: 9180, minimum: 0, maximum: 65535, description: 'Port of the health endpoint (0 = any free port).' }),
  },
  { default: {}, additionalProperties: false },
);

export const LogSchema = Type.Object(
  {
    level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info', description: 'pino log level.' },
    ),
  },
  { default: {}, additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({
      default: '/var/lib/breakwater',
      minLength: 1,
      description: 'Directory for all state (attack history, audit trail, desired routes, baselines).',
    }),
    log: LogSchema,
    sflow: SflowSchema,
    health: HealthSchema,
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type SflowConfig = Static<typeof SflowSchema>;
