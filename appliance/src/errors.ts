// The one table of Breakwater's stable error codes. Every code here is documented in docs/errors.md
// (a test checks it). A code never changes meaning once released; retire it instead of reusing it.

export interface ErrorSpec {
  /** What went wrong, in words an operator can act on. May contain %s placeholders filled in order. */
  readonly message: string;
  /** HTTP status when the error crosses the REST API. */
  readonly status: number;
}

export const errorCodes = {
  BW_ERR_CONFIG_PARSE: { message: 'Configuration file %s is not valid YAML or JSON: %s', status: 400 },
  BW_ERR_CONFIG_INVALID: { message: 'Configuration is invalid: %s', status: 400 },
  BW_ERR_CONFIG_READ: { message: 'Cannot read configuration file %s: %s', status: 500 },
  BW_ERR_DATA_DIR: { message: 'Data directory %s is not usable: %s', status: 500 },
  BW_ERR_LISTEN: { message: 'Cannot listen on %s: %s', status: 500 },
  BW_ERR_INTAKE_WORKER: { message: 'sFlow decoder worker failed to start: %s', status: 500 },
  BW_ERR_PCAP_FORMAT: { message: 'Not a pcap file, or an unsupported pcap variant: %s', status: 400 },
  BW_ERR_PCAP_TRUNCATED: { message: 'Pcap file ends inside a record at byte %s', status: 400 },
  BW_ERR_PCAP_CORRUPT: { message: 'Pcap file is corrupt at byte %s: %s; packets before it were read', status: 400 },
  BW_ERR_CAPTURE_ATTACK_ID: { message: 'Attack id %s is not a valid attack id (letters, digits, "-" and "_", at most 128)', status: 400 },
  BW_ERR_CLI_USAGE: { message: '%s', status: 400 },
  BW_ERR_PLUGIN_MANIFEST: { message: 'Plugin %s (%s) has no usable manifest: %s', status: 422 },
  BW_ERR_PLUGIN_API_VERSION: { message: 'Plugin %s is written for plugin API %s; this appliance speaks plugin API %s: install a release of the plugin made for API %s', status: 422 },
  BW_ERR_PLUGIN_SDK_RANGE: { message: 'Plugin %s needs @breakwater/sdk %s; this appliance has %s: install a release of the plugin that accepts it', status: 422 },
  BW_ERR_PLUGIN_DUPLICATE: { message: 'Plugin %s at %s has the same name as the one already loaded from %s: remove one of them', status: 409 },
  BW_ERR_PLUGIN_CONFIG: { message: 'Plugin %s configuration (plugins.settings["%s"].config) is invalid: %s', status: 400 },
  BW_ERR_PLUGIN_LOAD: { message: 'Plugin %s failed in %s while loading: %s', status: 500 },
  BW_ERR_PLUGIN_HOOK: { message: 'Plugin %s failed in hook %s: %s', status: 502 },
  BW_ERR_PLUGIN_TIMEOUT: { message: 'Plugin %s did not finish hook %s within %s ms', status: 504 },
  BW_ERR_PLUGIN_UNAVAILABLE: { message: 'Plugin %s: %s is not available now: %s', status: 503 },
  BW_ERR_PLUGIN_NOT_FOUND: { message: 'No %s plugin named %s is loaded', status: 404 },
  BW_ERR_FLOWSPEC_INVALID: { message: 'FlowSpec rule is malformed at %s: %s', status: 400 },
  BW_ERR_FLOWSPEC_NO_DESTINATION: { message: 'FlowSpec rule has no destination prefix (%s): every rule must name the protected address it mitigates for', status: 400 },
  BW_ERR_FLOWSPEC_DESTINATION_NOT_PROTECTED: { message: 'FlowSpec %s %s is not inside the protected networks (%s)', status: 403 },
  BW_ERR_FLOWSPEC_BAD_PREFIX: { message: 'FlowSpec %s: %s', status: 400 },
  BW_ERR_FLOWSPEC_HOST_BITS: { message: 'FlowSpec %s: %s has host bits set; did you mean %s?', status: 400 },
  BW_ERR_FLOWSPEC_WRONG_FAMILY: { message: 'FlowSpec %s cannot be used in an %s rule: %s', status: 400 },
  BW_ERR_FLOWSPEC_VALUE_OUT_OF_RANGE: { message: 'FlowSpec %s: %s', status: 400 },
  BW_ERR_FLOWSPEC_IMPOSSIBLE_MATCH: { message: 'FlowSpec %s can never match a packet: %s', status: 400 },
  BW_ERR_FLOWSPEC_NO_ACTIONS: { message: 'FlowSpec %s has no traffic action: add discard, rate-limit, rate-limit-packets, redirect, mark-dscp or traffic-action', status: 400 },
  BW_ERR_FLOWSPEC_ACTION_CONFLICT: { message: 'FlowSpec %s conflict: %s', status: 400 },
  BW_ERR_FLOWSPEC_BAD_ACTION: { message: 'FlowSpec %s: %s', status: 400 },
  BW_ERR_FLOWSPEC_COMPONENT_ORDER: { message: 'FlowSpec components are not in strictly increasing type order at %s: %s', status: 400 },
  BW_ERR_FLOWSPEC_PROFILE_REFUSED: { message: 'Router profile %s cannot take this FlowSpec rule: %s', status: 422 },
  BW_ERR_FLOWSPEC_PROFILE_LIMIT: { message: 'Router profile %s allows at most %s FlowSpec rules and %s are installed: withdraw a rule or raise maxRules', status: 409 },
  BW_ERR_FLOWSPEC_UNRENDERABLE: { message: '%s cannot express FlowSpec %s: %s', status: 422 },
  BW_ERR_SPEAKER_NO_FLOWSPEC: { message: 'The %s speaker cannot originate FlowSpec: use exabgp, bird or gobgp for FlowSpec, or mitigate with RTBH', status: 422 },
  BW_ERR_SPEAKER_START: { message: 'BGP speaker %s did not start: %s', status: 500 },
  BW_ERR_SPEAKER_UNAVAILABLE: { message: 'BGP speaker %s is not ready (%s); the route stays desired and is announced when it is', status: 503 },
  BW_ERR_SPEAKER_COMMAND: { message: 'BGP speaker %s refused %s: %s', status: 502 },
  BW_ERR_SPEAKER_CONFIG: { message: '%s rejected the configuration Breakwater generated (%s): %s', status: 500 },
  BW_ERR_BGP_STATE: { message: 'Desired BGP state file %s cannot be read or written: %s', status: 500 },
  BW_ERR_BGP_PEER_CONFIG: { message: 'BGP peer %s: %s', status: 400 },
  BW_ERR_BGP_RTBH_PREFIX: { message: 'RTBH prefix %s refused: %s', status: 400 },
  BW_ERR_BGP_DIVERSION_PREFIX: { message: 'Diversion prefix %s refused: %s', status: 400 },
  BW_ERR_BGP_COMMUNITY: { message: 'Community %s refused: %s', status: 400 },
  BW_ERR_BGP_ROUTE_CONFLICT: { message: '%s refused: %s is already announced as %s (route %s); a router keeps one route per prefix, withdraw that one first', status: 409 },
  BW_ERR_SPEAKER_NO_DIVERSION: { message: 'The %s speaker cannot announce diversion routes: use exabgp, bird or gobgp for the BGP diversion-community provider', status: 422 },
  BW_ERR_BASELINE_WRITE: { message: 'Baselines cannot be saved to %s: %s', status: 500 },
  BW_ERR_BASELINE_READ: { message: 'Baselines in %s were not loaded (%s); learning starts afresh', status: 500 },
  BW_ERR_DETECTION_THREAD: { message: 'Detection thread (detection.thread): %s', status: 500 },
  BW_ERR_BACKUP_CREATE: { message: 'Backup %s could not be written: %s', status: 500 },
  BW_ERR_BACKUP_FORMAT: { message: '%s is not a Breakwater backup: %s', status: 400 },
  BW_ERR_BACKUP_INCOMPATIBLE: { message: 'Backup %s cannot be restored here: %s', status: 422 },
  BW_ERR_BACKUP_CORRUPT: { message: 'Backup %s is corrupt (%s); nothing was restored: use another copy', status: 400 },
  BW_ERR_BACKUP_UNSAFE_PATH: { message: 'Backup %s holds an entry that is not a file or directory below config/ or data/ (%s); nothing was restored', status: 400 },
  BW_ERR_BACKUP_RESTORE: { message: 'Restoring into %s failed: %s; the previous contents are in %s', status: 500 },
  BW_ERR_NOTIFY_REJECTED: { message: '%s refused the notification: %s', status: 502 },
  BW_ERR_NOTIFY_UNAVAILABLE: { message: '%s could not be reached or failed: %s; the notification is retried', status: 503 },
  BW_ERR_NOTIFY_RATE_LIMITED: { message: '%s limits the rate: %s; the channel waits as long as it asked', status: 429 },
  BW_ERR_NOTIFY_GAVE_UP: { message: 'Notification %s to channel %s given up after %s: %s', status: 504 },
  BW_ERR_NOTIFY_CHANNEL: { message: 'Notification channel %s cannot be used: %s', status: 404 },
  BW_ERR_FIREWALL_UNSUPPORTED: { message: 'The local firewall cannot express %s: %s; use a FlowSpec or upstream tier for this signature', status: 422 },
  BW_ERR_FIREWALL_COMMAND: { message: 'Firewall command `%s` failed: %s', status: 500 },
  BW_ERR_FIREWALL_UNAVAILABLE: { message: 'No usable firewall on this host (%s): install nftables (nft) or iptables, or set firewall.backend', status: 503 },
  BW_ERR_AGENT_TOKEN: { message: 'Agent token refused: %s', status: 401 },
  BW_ERR_AGENT_TLS: { message: 'The appliance at %s presented a certificate with fingerprint %s, not the pinned %s: refusing to talk to it', status: 502 },
  BW_ERR_AGENT_CERT: { message: 'Cannot create the agent API certificate in %s: %s', status: 500 },
  BW_ERR_AGENT_UNREACHABLE: { message: 'Cannot reach the appliance at %s: %s', status: 503 },
  BW_ERR_STORAGE: { message: 'Database %s cannot be opened or migrated: %s', status: 500 },
  BW_ERR_AUDIT_WRITE: { message: 'The audit trail in %s cannot be written: %s', status: 500 },
  BW_ERR_AUDIT_READ: { message: 'The audit trail in %s cannot be read: %s', status: 500 },
  // REST API (appliance/src/api/): authentication, roles, request checks.
  BW_ERR_API_VALIDATION: { message: 'Request is invalid: %s', status: 400 },
  BW_ERR_API_BAD_REQUEST: { message: 'Request cannot be read: %s', status: 400 },
  BW_ERR_API_BODY_TOO_LARGE: { message: 'Request body is larger than the %s bytes allowed (api.bodyLimitBytes)', status: 413 },
  BW_ERR_API_UNAUTHENTICATED: { message: 'Not signed in: %s; sign in (POST /api/v1/auth/login) or send an API token (Authorization: Bearer ...)', status: 401 },
  BW_ERR_API_FORBIDDEN: { message: '%s may not do this: %s', status: 403 },
  BW_ERR_API_CSRF: { message: 'CSRF check failed (%s): send the csrfToken of the session in the x-csrf-token header', status: 403 },
  BW_ERR_API_LOGIN_FAILED: { message: 'Wrong username or password', status: 401 },
  BW_ERR_API_RATE_LIMITED: { message: 'Too many %s; try again in %s s', status: 429 },
  BW_ERR_API_LOCKED: { message: 'Account %s is locked (%s)', status: 423 },
  BW_ERR_API_SETUP_DONE: { message: 'Setup is done: an administrator exists; sign in instead', status: 410 },
  BW_ERR_API_SETUP_TOKEN_INVALID: { message: 'The setup token is wrong or missing: use the one in %s (also printed in the log at start)', status: 403 },
  BW_ERR_API_PASSWORD_POLICY: { message: 'Password refused: %s', status: 400 },
  BW_ERR_API_NOT_FOUND: { message: '%s not found', status: 404 },
  BW_ERR_API_CONFLICT: { message: '%s', status: 409 },
  BW_ERR_API_TLS: { message: 'Cannot set up TLS for the API: %s', status: 500 },
  BW_ERR_API_INSECURE: { message: 'api.listen %s would serve plain HTTP beyond loopback: configure api.tls, or set api.allowInsecure if a TLS proxy on the same network fronts it', status: 400 },
  BW_ERR_API_INTERNAL: { message: 'Internal error (request %s): see the appliance log', status: 500 },
  BW_ERR_MITIGATION_STOPPED: { message: 'Mitigation is stopped (%s): %s refused; withdrawals still go through', status: 409 },
  BW_ERR_MITIGATION_PROTECTED: { message: '%s of %s refused: it overlaps the protected prefix %s (mitigation.guardrails.protectedPrefixes)', status: 403 },
  BW_ERR_MITIGATION_RTBH_PREFIX: { message: 'RTBH of %s refused: runbook %s blackholes /%s or longer prefixes only', status: 403 },
  BW_ERR_MITIGATION_QUOTA: { message: '%s refused: %s', status: 409 },
  BW_ERR_MITIGATION_TTL: { message: '%s refused: a lifetime of %s s exceeds the %s s allowed (%s)', status: 400 },
  BW_ERR_MITIGATION_FLAP: { message: '%s refused: %s was announced and withdrawn too often (damping penalty %s, suppressed above %s); allowed again in about %s s', status: 429 },
  BW_ERR_MITIGATION_SCOPE: { message: '%s refused: %s is outside the attack target %s', status: 403 },
  BW_ERR_MITIGATION_NOT_ENGAGING: { message: '%s refused: plugin %s has no stage engaging or engaged for attack %s', status: 409 },
  BW_ERR_MITIGATION_NO_FIREWALL: { message: 'No firewall backend is connected: %s refused (a firewall tier such as nftables provides one)', status: 409 },
  BW_ERR_MITIGATION_NO_SPEAKER: { message: 'No BGP speaker is configured (bgp.speaker is "none"): %s refused', status: 409 },
  BW_ERR_MITIGATION_NO_DIVERSION: { message: 'The BGP speaker (%s) cannot announce diversion routes: %s refused', status: 422 },
  BW_ERR_MITIGATION_GONE: { message: 'Stage %s: the tier reports its mitigation gone (%s)', status: 502 },
  BW_ERR_MITIGATION_APPROVAL_TIMEOUT: { message: 'Stage %s was not approved within %s s and was not engaged', status: 408 },
  BW_ERR_MITIGATION_NOT_FOUND: { message: 'No mitigation %s: %s', status: 404 },
  BW_ERR_CONFIG_RELOAD: { message: 'Configuration reload refused; the running configuration stays: %s', status: 400 },
  BW_ERR_CONTROL_FORBIDDEN: { message: 'The control endpoint answers loopback only (%s asked)', status: 403 },
  BW_ERR_CONTROL_UNREACHABLE: { message: 'Cannot reach the running appliance at %s (%s): is `breakwater start` running with this configuration?', status: 503 },
  BW_ERR_CONFIG_WRITE: { message: 'Configuration file %s cannot be written: %s; it is unchanged', status: 500 },
  BW_ERR_CONFIG_NO_FILE: { message: 'The appliance runs on embedded defaults without a configuration file, so %s cannot be saved: start it with --config FILE', status: 409 },
  BW_ERR_ATTACK_PCAP_MISSING: { message: 'Attack %s has no capture (%s)', status: 404 },
  BW_ERR_MITIGATION_ROUTE_TAKEN: { message: '%s is already announced by %s: withdraw it there first', status: 409 },
  BW_ERR_MITIGATION_NOT_MANUAL: { message: 'Mitigation %s is run by its runbook: %s applies to manual mitigations only', status: 409 },
  BW_ERR_HISTORY_WRITE: { message: 'The attack history in %s cannot be written: %s', status: 500 },
  BW_ERR_HISTORY_READ: { message: 'The attack history in %s cannot be read: %s', status: 500 },
  BW_ERR_HISTORY_QUERY: { message: 'Attack history query refused: %s', status: 400 },
  BW_ERR_ATTACK_NOT_FOUND: { message: 'No attack %s in the attack history (%s)', status: 404 },
  BW_ERR_REPLAY_INPUT: { message: 'Cannot replay %s: %s', status: 400 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof errorCodes;

/** An error with a stable code, a message that says what to do, and the cause. */
export class BreakwaterError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, args: readonly unknown[] = [], options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(formatMessage(errorCodes[code].message, args), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BreakwaterError';
    this.code = code;
    this.status = errorCodes[code].status;
    this.details = options.details;
  }
}

function formatMessage(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%s/g, () => (i < args.length ? String(args[i++]) : '%s'));
}

export function isBreakwaterError(err: unknown, code?: ErrorCode): err is BreakwaterError {
  return err instanceof BreakwaterError && (code === undefined || err.code === code);
}
