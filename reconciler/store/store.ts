// Where meta keeps what it observed: device reports, command results with their output tails,
// condition history. Writes are queued (never awaited on the heartbeat path) and flushed in batches;
// reads are async so a PostgreSQL implementation (several metas, one database) fits the same shape.
import type { CommandRunOutcome } from '../../specs/wire/heartbeat.js';
import type { BaselineRow, CommandIdentityRow, ResultRevisionRow, RolloutRecords, RolloutRow } from './rollout-records.js';

export type { BaselineRow, CommandIdentityRow, ResultRevisionRow, RolloutRecords, RolloutRow } from './rollout-records.js';

export interface StoredDevice {
  id: string;
  hostname: string | null;
  /** Labels the device reported (devices/<id>.yaml labels are applied on top, not stored here). */
  reportedLabels: Readonly<Record<string, string>>;
  /** JSON of the reported facts. */
  facts: string;
  /** Epoch ms. */
  firstSeen: number;
  lastSeen: number;
  /** Etag of the document the agent holds, and of the last one it converged to. */
  etag: string | null;
  appliedEtag: string | null;
  /** JSON of the last PackageReport[]. */
  packages: string;
  /** JSON of the command summary [{ id, name, status, exitCode }] from the last report. */
  commands: string;
  /** Last recorded condition (for history and restarts). */
  condition: string | null;
  reason: string | null;
}

export interface CommandResultRow extends CommandRunOutcome {
  deviceId: string;
  commandId: string;
  name: string;
  status: string;
  /** Epoch ms when meta recorded it. */
  reportedAt: number;
}

export interface ConditionChange {
  deviceId: string;
  /** Epoch ms. */
  at: number;
  condition: string;
  reason: string;
  message: string;
}

export interface CommandResultQuery {
  deviceId?: string;
  commandName?: string;
  commandId?: string;
  /** Default 1000. */
  limit?: number;
}

/** A dashboard session: only the SHA-256 of its cookie value is kept. */
export interface SessionRow {
  idHash: string;
  /** Epoch ms. */
  created: number;
  lastUsed: number;
}

/** A jump server's last report as meta received it. */
export interface JumpReportRow {
  name: string;
  /** Epoch ms. */
  receivedAt: number;
  /** The report as validated on receipt (specs/wire/jump-report.ts); re-validated when read back. */
  report: unknown;
}

/** An operator's retry request (`drover retry`): the device tries its failed version of the package once more. */
export interface RetryRequestRow {
  deviceId: string;
  package: string;
  /** A number new to that package (epoch ms or above): the agent retries a failure recorded under another token. */
  token: number;
}

/** A restart asked of a jump server, delivered in the answer to its next report. */
export interface JumpRestartRow {
  name: string;
  /** Epoch ms. */
  requestedAt: number;
  deadlineMs: number | null;
  /** Whether an answer carried it to the jump. */
  delivered: boolean;
}

/** A device's enrollment (its own key and credential): only the SHA-256 of the credential is kept. */
export interface EnrollmentRow {
  deviceId: string;
  status: 'pending' | 'accepted' | 'rejected' | 'revoked';
  /** `ssh-ed25519 AAAA…` and its `SHA256:…` fingerprint. */
  publicKey: string;
  fingerprint: string;
  /** Hex SHA-256 of the credential issued last; null when none is valid. */
  credentialHash: string | null;
  hostname: string | null;
  /** Labels the device sent with its request. */
  labels: Readonly<Record<string, string>>;
  /** Epoch ms: first request, the signed timestamp of the last one, the decision, the last change. */
  requestedAt: number;
  lastRequestAt: number;
  decidedAt: number | null;
  /** Who decided: `admin…`, `fleet (enroll: auto)`, `fleet (enroll.fingerprint)`. */
  decidedBy: string | null;
  /** Why (a revocation's reason), as the person gave it. */
  reason: string | null;
  updatedAt: number;
  /** The client address of the last request (through --trust-proxy), null before it was recorded. */
  sourceAddress: string | null;
}

export interface StoreStats {
  pendingWrites: number;
  flushes: number;
  flushErrors: number;
  lastFlushAt: number | null;
  lastError: string | null;
  /**
   * A store on the network (PostgreSQL): why it cannot be reached now (its last lightweight check
   * failed or did not answer), null while it answers. Absent for an embedded store.
   */
  unreachable?: string | null;
}

/**
 * What a store shared by several metas (PostgreSQL) tells each of them; absent for an embedded store.
 * Events are delivered to the other metas (not back to the sender) within about a second.
 */
export interface SharedStore {
  /** Devices other metas wrote, as they arrive (rows as stored). */
  onRemoteDevices(listener: (rows: StoredDevice[]) => void): () => void;
  /**
   * Package baselines other metas wrote (the version last released to a device), as they arrive,
   * before the devices read with them; those that arrived before the first listener are handed to it.
   */
  onRemoteBaselines(listener: (rows: BaselineRow[]) => void): () => void;
  /**
   * Reads what other metas wrote up to now (devices, baselines) and hands it to the listeners;
   * resolves once read (a failed read is logged and retried at the next notification or poll).
   */
  catchUp(): Promise<void>;
  /** Sends a small event (a topic and a short payload) to every other meta on the store. */
  publish(topic: string, payload?: string): Promise<void>;
  onEvent(listener: (topic: string, payload: string) => void): () => void;
  /**
   * Whether this meta takes the fleet-wide decisions (rollout steps, pauses): exactly one meta
   * connected to the store does at a time; another takes over within seconds when it dies.
   */
  isLeader(): boolean;
  onLeadership(listener: (leader: boolean) => void): () => void;
  /** Rollout states as the leader last wrote them (the `rollouts` rows, as loadRolloutRecords reads them). */
  loadRolloutStates(keys?: readonly string[]): Promise<RolloutRow[]>;
  /**
   * Writes one rollout's state, committed when it resolves, and tells the other metas (`rollout`
   * event, payload the key). The leader only: rejects on a meta that does not hold the leader lock
   * (the write goes through the connection holding it, so a meta that lost it cannot write).
   */
  saveRolloutState(row: RolloutRow): Promise<void>;
}

export interface Store {
  readonly kind: string;
  /** Present when several metas share the store. */
  readonly shared?: SharedStore;
  /** Every device, as last flushed. */
  loadDevices(): Promise<StoredDevice[]>;
  /** Queues a device for writing. The object may be live: it is read when the batch is written. */
  putDevice(device: StoredDevice): void;
  /**
   * Queues only a device's last-seen time (an idle heartbeat): the row's other columns are left as
   * they are, and a time older than the stored one is ignored, as is a device without a row.
   */
  putLastSeen(id: string, at: number): void;
  putCommandResults(rows: CommandResultRow[]): void;
  putConditionChange(change: ConditionChange): void;
  /** Newest first. */
  commandResults(query: CommandResultQuery): Promise<CommandResultRow[]>;
  /** Newest first. */
  conditionHistory(deviceId: string, limit?: number): Promise<ConditionChange[]>;
  /** Rollouts' state, package baselines and known command identities, as last written (at start). */
  loadRolloutRecords(): Promise<RolloutRecords>;
  /** Queued like devices; the row may be live (read when the batch is written). */
  putRollout(row: RolloutRow): void;
  putBaseline(row: BaselineRow): void;
  putCommandIdentities(rows: readonly CommandIdentityRow[]): void;
  /** The first revision a result was reported under is kept; later writes of the same pair are ignored. */
  putResultRevisions(rows: readonly ResultRevisionRow[]): void;
  /** `deviceId\0commandId` → revision, for these command identities (as written: flush first to see queued ones). */
  resultRevisions(commandIds: readonly string[]): Promise<Map<string, string | null>>;
  /** Dashboard sessions, so a restart (or another meta) does not sign people out. */
  loadSessions(): Promise<SessionRow[]>;
  session(idHash: string): Promise<SessionRow | null>;
  putSession(row: SessionRow): void;
  deleteSession(idHash: string): void;
  /** Each jump server's last report (at start), and the write of a new one (queued). */
  loadJumpReports(): Promise<JumpReportRow[]>;
  putJumpReport(row: JumpReportRow): void;
  /** Retry requests (at start: all; after another meta's `retry` event: one device's), and their writes (queued; the newest token is kept). */
  loadRetryRequests(deviceId?: string): Promise<RetryRequestRow[]>;
  putRetryRequests(rows: readonly RetryRequestRow[]): void;
  /** Jump restart requests, and the write of one (queued; an older request never replaces a newer one). */
  loadJumpRestarts(): Promise<JumpRestartRow[]>;
  /** Every device's enrollment record (at start). */
  loadEnrollments(): Promise<EnrollmentRow[]>;
  /** One device's enrollment record as stored (another meta may have written it). */
  enrollment(deviceId: string): Promise<EnrollmentRow | null>;
  /** Writes one enrollment record and resolves once it is committed (not queued: decisions are rare and must hold). */
  saveEnrollment(row: EnrollmentRow): Promise<void>;
  putJumpRestart(row: JumpRestartRow): void;
  /** Writes everything queued so far (a failed write is logged, counted and kept for the next one). */
  flush(): Promise<void>;
  /**
   * Writes everything queued so far and resolves once it is committed: what a caller queued before
   * calling commit() survives a crash of meta after it resolves. Concurrent calls share one
   * transaction (group commit). Rejects when the write failed: the caller must not acknowledge.
   */
  commit(): Promise<void>;
  stats(): StoreStats;
  /** Flushes and closes. */
  close(): Promise<void>;
}
