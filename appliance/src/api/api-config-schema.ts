// The `api` section of the configuration: where the REST API and web panel listen, TLS, sessions, login limits.
import { Type, type Static } from '@sinclair/typebox';

export const ApiSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve the REST API and the web panel.' }),
    listen: Type.String({
      default: '[::]:8443',
      pattern: '^(\\[[0-9a-fA-F:.]+\\]|[^\\[\\]:]+):[0-9]{1,5}$',
      description: 'host:port of the REST API and web panel (HTTPS unless api.tls.mode is "off"); port 0 picks a free port.',
    }),
    tls: Type.Object(
      {
        mode: Type.Union([Type.Literal('auto'), Type.Literal('files'), Type.Literal('off')], {
          default: 'auto',
          description: '"auto": certFile/keyFile when both exist, else a self-signed pair made once in DATADIR/tls/; "files": certFile/keyFile only; "off": plain HTTP (loopback only unless api.allowInsecure).',
        }),
        certFile: Type.String({ default: '', description: 'PEM certificate (chain) of the API; empty: DATADIR/tls/panel.crt.' }),
        keyFile: Type.String({ default: '', description: 'PEM private key of the API; empty: DATADIR/tls/panel.key.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    allowInsecure: Type.Boolean({ default: false, description: 'Allow api.tls.mode "off" on a non-loopback address (only behind a TLS proxy you trust).' }),
    publicUrl: Type.String({ default: '', description: 'Base URL users reach the panel at (for the setup link); empty: https://HOSTNAME:PORT from api.listen.' }),
    trustedProxies: Type.Array(Type.String(), {
      default: [],
      description: 'Addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed (login rate limits and the audit trail use the client address).',
    }),
    bodyLimitBytes: Type.Integer({ default: 1048576, minimum: 1024, description: 'Largest request body accepted; larger ones get BW_ERR_API_BODY_TOO_LARGE.' }),
    panelDir: Type.String({ default: '', description: 'Directory of the web panel\'s static build; empty: appliance/panel/dist of the installed appliance.' }),
    session: Type.Object(
      {
        idleSeconds: Type.Integer({ default: 1800, minimum: 60, description: 'A session unused this long ends.' }),
        absoluteSeconds: Type.Integer({ default: 43200, minimum: 300, description: 'A session ends this long after login however much it is used.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    login: Type.Object(
      {
        maxFailures: Type.Integer({ default: 5, minimum: 1, description: 'Wrong passwords for one user within failureWindowSeconds before the account is locked.' }),
        failureWindowSeconds: Type.Integer({ default: 900, minimum: 1, description: 'Window the wrong passwords of one user are counted in.' }),
        lockoutSeconds: Type.Integer({ default: 900, minimum: 1, description: 'How long an account stays locked after maxFailures.' }),
        maxAttemptsPerIp: Type.Integer({ default: 20, minimum: 1, description: 'Login attempts (right or wrong) from one client address within ipWindowSeconds; more get BW_ERR_API_RATE_LIMITED.' }),
        ipWindowSeconds: Type.Integer({ default: 60, minimum: 1, description: 'Window the login attempts of one address are counted in.' }),
      },
      { default: {}, additionalProperties: false },
    ),
    events: Type.Object(
      {
        queueLimit: Type.Integer({ default: 256, minimum: 8, description: 'Events queued for one live-stream client that reads too slowly; past this it is disconnected.' }),
        heartbeatSeconds: Type.Integer({ default: 15, minimum: 1, description: 'Interval of the comment line that keeps idle live streams (and proxies) open.' }),
      },
      { default: {}, additionalProperties: false },
    ),
  },
  { default: {}, additionalProperties: false },
);

export type ApiConfig = Static<typeof ApiSchema>;
