// The shapes the panel reads from the REST API (docs/api.md, route reference); only the fields it shows.
// Attack records are the SDK's own type (a type-only import: nothing of the SDK is bundled).
import type { AttackRecord } from '@breakwater/sdk/attack';

export type { AttackRecord, Rates, Share } from '@breakwater/sdk/attack';

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
