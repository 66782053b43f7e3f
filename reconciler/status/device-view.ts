// The per-device status that /v1/devices and `drover status` show: condition, revisions, drift,
// and (in detail) each package's desired vs reported version and state, command results, history.
import { reportedCommands, reportedFacts, reportedPackages } from '../registry/report-view.js';
import type { MetaDeps } from '../deps.js';
import { isLegacyRecord, type DeviceRecord } from '../registry/device-record.js';
import { offlineCondition, type DeviceConditionResult } from './device-condition.js';
import { comparePackages } from './package-drift.js';

export interface DeviceSummary {
  id: string;
  hostname: string | null;
  /** How it reports: `v1` (drover agent) or `legacy` (Open-Falcon ops-updater); null before any report. */
  protocol: 'v1' | 'legacy' | null;
  labels: Record<string, string>;
  declared: boolean;
  condition: DeviceConditionResult['condition'];
  reason: string;
  message: string;
  /** Epoch ms as ISO; null when never seen. */
  lastSeen: string | null;
  /** Etag the agent holds / converged to, and the current desired etag. */
  etag: string | null;
  appliedEtag: string | null;
  desiredEtag: string | null;
  /** The revision the device converged to: the current one when appliedEtag is current, else null. */
  revision: string | null;
  /** Packages whose reported version or state differ from the desired. */
  drift: number;
  /** The agent's version and the commit it was built from, as it reported them (facts). */
  agentVersion: string | null;
  agentCommit: string | null;
}

function agentBuild(record: DeviceRecord | undefined): { agentVersion: string | null; agentCommit: string | null } {
  if (!record) return { agentVersion: null, agentCommit: null };
  const f = reportedFacts(record.facts);
  return {
    agentVersion: typeof f.agentVersion === 'string' ? f.agentVersion : null,
    agentCommit: typeof f.agentCommit === 'string' ? f.agentCommit : null,
  };
}

export function summarize(deps: MetaDeps, id: string, record: DeviceRecord | undefined, now: number): DeviceSummary {
  const entry = deps.desired.get(id);
  const declared = deps.desired.compiled?.devices.has(id) ?? false;
  const cond = record ? deps.conditions.evaluate(record, now) : offlineCondition(null, now, deps.conditions.settings());
  const packages = reportedPackages(record?.packages);
  return {
    id,
    hostname: record?.hostname ?? null,
    protocol: record ? (isLegacyRecord(record) ? 'legacy' : 'v1') : null,
    labels: { ...deps.desired.effectiveLabels(id) },
    declared,
    condition: cond.condition,
    reason: cond.reason,
    message: cond.message,
    lastSeen: record ? new Date(record.lastSeen).toISOString() : null,
    etag: record?.etag ?? null,
    appliedEtag: record?.appliedEtag ?? null,
    desiredEtag: entry?.etag ?? null,
    revision: entry && record?.appliedEtag === entry.etag ? entry.revision : null,
    drift: record ? comparePackages(entry?.document ?? null, packages, { stoppedMayBeAbsent: isLegacyRecord(record) }).filter((c) => !c.inSync).length : (entry?.document.packages.length ?? 0),
    ...agentBuild(record),
  };
}

export async function deviceDetail(deps: MetaDeps, id: string, now: number) {
  const record = deps.registry.get(id);
  const entry = deps.desired.get(id);
  const packages = reportedPackages(record?.packages);
  const summaries = reportedCommands(record?.commands);
  const results = record ? await deps.store.commandResults({ deviceId: id, limit: 200 }) : [];
  const stored = new Map(results.map((r) => [r.commandId, r] as const));
  const desiredCommands = entry?.document.commands ?? [];
  const commandIds = new Set([...desiredCommands.map((c) => c.id), ...summaries.map((c) => c.id), ...results.map((r) => r.commandId)]);
  return {
    ...summarize(deps, id, record, now),
    reportedLabels: record?.reportedLabels ?? {},
    facts: reportedFacts(record?.facts),
    firstSeen: record ? new Date(record.firstSeen).toISOString() : null,
    conditionSince: record?.since ? new Date(record.since).toISOString() : null,
    currentRevision: deps.desired.revision,
    packages: comparePackages(entry?.document ?? null, packages, { stoppedMayBeAbsent: record ? isLegacyRecord(record) : false }).map((c) => ({
      ...c,
      report: packages.find((p) => p.name === c.name) ?? null,
    })),
    commands: [...commandIds].map((cid) => {
      const d = desiredCommands.find((c) => c.id === cid);
      const s = summaries.find((c) => c.id === cid);
      const r = stored.get(cid);
      return {
        id: cid,
        name: d?.name ?? s?.name ?? r?.name ?? cid.split('@')[0],
        desired: Boolean(d),
        origin: d?.origin ?? null,
        status: s?.status ?? r?.status ?? 'pending',
        exitCode: s?.exitCode ?? r?.exitCode ?? null,
        signal: r?.signal ?? null,
        startedAt: r?.startedAt ?? null,
        finishedAt: r?.finishedAt ?? null,
        durationMs: r?.durationMs ?? null,
        outputTail: r?.outputTail ?? null,
        truncated: r?.truncated ?? false,
      };
    }),
    history: record ? (await deps.store.conditionHistory(id, 50)).map((h) => ({ at: new Date(h.at).toISOString(), condition: h.condition, reason: h.reason, message: h.message })) : [],
  };
}
