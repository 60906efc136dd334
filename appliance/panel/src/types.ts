// The shapes the panel reads from the REST API (docs/api.md, route reference); only the fields it shows.
export interface Rates {
  pps: number;
  bps: number;
  flows?: number;
}

export interface Share<K> {
  key: K;
  share: number;
  pps: number;
}

export interface AttackRecord {
  id: string;
  target: string;
  hostGroup: string;
  vector: string;
  confidence: number;
  severity: string;
  startedAt: number;
  updatedAt: number;
  endedAt?: number;
  threshold: { metric: 'pps' | 'bps' | 'flows'; key: string; value: number; source: string; hostGroup: string; measured: number };
  rates: Rates;
  peak: Rates;
  baseline?: Rates;
  profile: {
    vectors: Share<string>[];
    topDestinations: Share<string>[];
    topSources: Share<string>[];
    topSourcePorts: Share<number>[];
    topDestinationPorts: Share<number>[];
    protocols: Share<number>[];
    flashCrowdLikely: boolean;
  };
}

export interface AttackItem {
  attack: AttackRecord;
  active: boolean;
  endReason: string | null;
  hasPcap: boolean;
}

export interface AuditRecord {
  seq?: number;
  at: number;
  actor: string;
  action: string;
  attackId?: string;
  target?: string;
  runbook?: string;
  stageName?: string;
  tier?: string;
  resource?: string;
  reason?: string;
  detail?: Record<string, unknown>;
}

export interface MitigationStage {
  index: number;
  name: string;
  tier: string;
  status: string;
  engagedAt?: number;
  approvalExpiresAt?: number;
  summary?: string;
  error?: string;
}

export interface MitigationSummary {
  id: string;
  attackIds: string[];
  target: string;
  vector: string;
  runbook: string;
  mode: string;
  phase: string;
  stage: string | null;
  startedAt: number;
  stages: MitigationStage[];
}

export interface ManualMitigation {
  id: string;
  kind: 'flowspec' | 'rtbh';
  target: string;
  by: string;
  createdAt: number;
  expiresAt: number | null;
}

export interface MitigationsResponse {
  mitigations: MitigationSummary[];
  manual: ManualMitigation[];
  status: Record<string, unknown>;
}

export interface PeerRow {
  config: { name?: string; address?: string; asn?: number; families?: string[] } & Record<string, unknown>;
  state: string;
  since: number | null;
  info: string;
}

export interface PeersResponse {
  speaker: string;
  localAsn: number;
  peers: PeerRow[];
}

export interface TrafficEvent {
  t: number;
  pps: number;
  bps: number;
  top: { target: string; pps: number; bps: number }[];
}
