// The one place where the Store's typed records become table rows and back, for both SQLite and
// PostgreSQL: `values` gives a record's column values in the order of store-tables.ts (booleans as
// booleans, JSON as text), `read` takes a row by column name as either driver returns it.
import type { DesiredPackage } from '../../specs/wire/desired.js';
import type { BaselineRow, CommandIdentityRow, ResultRevisionRow, RolloutRow } from './rollout-records.js';
import type {
  CommandResultRow, ConditionChange, EnrollmentRow, JumpReportRow, JumpRestartRow, RetryRequestRow, SessionRow, StoredDevice,
} from './store.js';
import type { TableName } from './store-tables.js';
import type { WriteBatch } from './write-queue.js';

type Row = Record<string, unknown>;

export interface RowCodec<T> {
  table: TableName;
  values(r: T): unknown[];
  read(row: Row): T;
}

const str = (v: unknown): string => v as string;
const strOrNull = (v: unknown): string | null => (v ?? null) as string | null;
const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** SQLite keeps 0/1, PostgreSQL true/false. */
const bool = (v: unknown): boolean => v === true || v === 1;

export const deviceRow: RowCodec<StoredDevice> = {
  table: 'devices',
  values: (d) => [d.id, d.hostname, JSON.stringify(d.reportedLabels), d.facts, d.firstSeen, d.lastSeen, d.etag, d.appliedEtag, d.packages, d.commands, d.condition, d.reason],
  read: (r) => ({
    id: str(r.id), hostname: strOrNull(r.hostname), reportedLabels: JSON.parse(str(r.labels)) as Record<string, string>, facts: str(r.facts),
    firstSeen: num(r.first_seen), lastSeen: num(r.last_seen), etag: strOrNull(r.etag), appliedEtag: strOrNull(r.applied_etag),
    packages: str(r.packages), commands: str(r.commands), condition: strOrNull(r.condition), reason: strOrNull(r.reason),
  }),
};

export const commandResultRow: RowCodec<CommandResultRow> = {
  table: 'command_results',
  values: (c) => [c.deviceId, c.commandId, c.name, c.status, c.exitCode, c.signal, c.startedAt, c.finishedAt, c.durationMs, c.outputTail, c.truncated, c.reportedAt],
  read: (r) => ({
    deviceId: str(r.device_id), commandId: str(r.command_id), name: str(r.name), status: str(r.status),
    exitCode: numOrNull(r.exit_code), signal: strOrNull(r.signal), startedAt: strOrNull(r.started_at), finishedAt: strOrNull(r.finished_at),
    durationMs: numOrNull(r.duration_ms), outputTail: strOrNull(r.output_tail), truncated: bool(r.truncated), reportedAt: num(r.reported_at),
  }),
};

export const conditionRow: RowCodec<ConditionChange> = {
  table: 'condition_history',
  values: (c) => [c.deviceId, c.at, c.condition, c.reason, c.message],
  read: (r) => ({ deviceId: str(r.device_id), at: num(r.at), condition: str(r.condition), reason: str(r.reason), message: str(r.message) }),
};

export const rolloutRow: RowCodec<RolloutRow> = {
  table: 'rollouts',
  values: (r) => [r.key, JSON.stringify(r.state), r.specPaused, r.revision, r.updatedAt],
  read: (r) => ({ key: str(r.key), state: JSON.parse(str(r.state)) as RolloutRow['state'], specPaused: bool(r.spec_paused), revision: strOrNull(r.revision), updatedAt: num(r.updated_at) }),
};

/** Reads baselines sharing one parsed value between the rows that hold the same JSON. */
export function baselineRow(): RowCodec<BaselineRow> {
  const values = new Map<string, DesiredPackage>();
  return {
    table: 'package_baselines',
    values: (b) => [b.deviceId, b.package, b.identity, JSON.stringify(b.value)],
    read: (r) => {
      let value = values.get(str(r.value));
      if (!value) values.set(str(r.value), (value = JSON.parse(str(r.value)) as DesiredPackage));
      return { deviceId: str(r.device_id), package: str(r.package), identity: str(r.identity), value };
    },
  };
}

export const identityRow: RowCodec<CommandIdentityRow> = {
  table: 'command_identities',
  values: (k) => [k.identity, k.name, k.origin, k.firstRevision, k.lastRevision, k.firstSeen],
  read: (r) => ({
    identity: str(r.identity), name: str(r.name), origin: r.origin as CommandIdentityRow['origin'],
    firstRevision: strOrNull(r.first_revision), lastRevision: strOrNull(r.last_revision), firstSeen: num(r.first_seen),
  }),
};

export const resultRevisionRow: RowCodec<ResultRevisionRow> = {
  table: 'result_revisions',
  values: (r) => [r.deviceId, r.commandId, r.revision],
  read: (r) => ({ deviceId: str(r.device_id), commandId: str(r.command_id), revision: strOrNull(r.revision) }),
};

export const sessionRow: RowCodec<SessionRow> = {
  table: 'dashboard_sessions',
  values: (s) => [s.idHash, s.created, s.lastUsed],
  read: (r) => ({ idHash: str(r.id_hash), created: num(r.created), lastUsed: num(r.last_used) }),
};

export const jumpReportRow: RowCodec<JumpReportRow> = {
  table: 'jump_reports',
  values: (j) => [j.name, j.receivedAt, JSON.stringify(j.report)],
  read: (r) => ({ name: str(r.name), receivedAt: num(r.received_at), report: JSON.parse(str(r.report)) as unknown }),
};

export const retryRequestRow: RowCodec<RetryRequestRow> = {
  table: 'retry_requests',
  values: (q) => [q.deviceId, q.package, q.token],
  read: (r) => ({ deviceId: str(r.device_id), package: str(r.package), token: num(r.token) }),
};

export const jumpRestartRow: RowCodec<JumpRestartRow> = {
  table: 'jump_restarts',
  values: (j) => [j.name, j.requestedAt, j.deadlineMs, j.delivered],
  read: (r) => ({ name: str(r.name), requestedAt: num(r.requested_at), deadlineMs: numOrNull(r.deadline_ms), delivered: bool(r.delivered) }),
};

export const enrollmentRow: RowCodec<EnrollmentRow> = {
  table: 'enrollments',
  values: (e) => [e.deviceId, e.status, e.publicKey, e.fingerprint, e.credentialHash, e.hostname, JSON.stringify(e.labels), e.requestedAt, e.lastRequestAt, e.decidedAt, e.decidedBy, e.reason, e.updatedAt, e.sourceAddress],
  read: (r) => ({
    deviceId: str(r.device_id), status: str(r.status) as EnrollmentRow['status'], publicKey: str(r.public_key), fingerprint: str(r.fingerprint),
    credentialHash: strOrNull(r.credential_hash), hostname: strOrNull(r.hostname), labels: JSON.parse(str(r.labels)) as Record<string, string>,
    requestedAt: num(r.requested_at), lastRequestAt: num(r.last_request_at), decidedAt: numOrNull(r.decided_at), decidedBy: strOrNull(r.decided_by),
    reason: strOrNull(r.reason), updatedAt: num(r.updated_at), sourceAddress: strOrNull(r.source_address),
  }),
};

/** A batch as rows per table, in the order they are written (devices first). */
export function batchRows(b: WriteBatch): [TableName, unknown[][]][] {
  const rows = <T>(codec: RowCodec<T>, records: readonly T[]): [TableName, unknown[][]] => [codec.table, records.map(codec.values)];
  return [
    rows(deviceRow, b.devices),
    rows(commandResultRow, b.commands),
    rows(conditionRow, b.conditions),
    rows(rolloutRow, b.rollouts.rollouts),
    rows(baselineRow(), b.rollouts.baselines),
    rows(identityRow, b.rollouts.identities),
    rows(resultRevisionRow, b.rollouts.resultRevisions),
    rows(sessionRow, b.sessions.puts),
    rows(jumpReportRow, b.jumpReports),
    rows(retryRequestRow, b.retryRequests),
    rows(jumpRestartRow, b.jumpRestarts),
  ].filter(([, r]) => r.length > 0) as [TableName, unknown[][]][];
}
