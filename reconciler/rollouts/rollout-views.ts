// What the results API shows: rollouts with their steps and failing devices, and command
// identities with their counts per status. Built from the gate, the device registry's last
// reports and the store's command results.
import { reportedCommands, reportedPackages } from '../registry/report-view.js';
import type { CommandResultRow } from '../store/store.js';
import { emptyCounts, type CommandDeviceResult, type CommandSummary, type RolloutProgress, type StatusCounts } from '../../control/commands-api.js';
import { stepTarget } from '../../control/rollout/plan-rollout.js';
import type { ActiveRollout, RolloutGate } from './rollout-gate.js';

export interface ViewSources {
  gate: RolloutGate;
  deviceIds: () => Iterable<string>;
  labelsOf: (id: string) => Readonly<Record<string, string>>;
  commandsJson: (id: string) => string | undefined;
  packagesJson: (id: string) => string | undefined;
  /** Newest result rows of one command identity on some devices (for failing devices' output). */
  results: (query: { commandId?: string; commandName?: string; deviceId?: string; limit?: number }) => Promise<CommandResultRow[]>;
  /** The full command list as last built, valid while the gate's version has not moved. */
  summaryCache?: { version: number; value: CommandSummary[] };
}

const MAX_FAILING_SHOWN = 50;

export async function rolloutProgress(src: ViewSources, r: ActiveRollout): Promise<RolloutProgress> {
  const plan = r.plan;
  const s = r.subject;
  const selected = r.order?.length ?? 0;
  const inOrder = new Set(r.order ?? []);
  const released = [...(plan?.released ?? r.released)].filter((id) => inOrder.has(id)).length;
  const targets = plan?.targets ?? s.rollout.steps.map((st) => stepTarget(st, selected));
  const step = plan?.step ?? 0;
  const failing: RolloutProgress['failing'] = [];
  for (const deviceId of (plan?.failing ?? []).slice(0, MAX_FAILING_SHOWN)) {
    if (s.kind === 'command') {
      const rows = await src.results({ deviceId, commandName: s.name, limit: 20 });
      const row = rows.find((x) => x.commandId === s.identity) ?? (s.perDeviceIdentity ? rows[0] : undefined);
      failing.push({ deviceId, status: row?.status ?? 'failed', exitCode: row?.exitCode ?? null, error: row?.signal ? `killed by ${row.signal}` : null, outputTail: row?.outputTail ?? null });
    } else {
      const now = reportedPackages(src.packagesJson(deviceId)).find((p) => p.name === s.name);
      const report = now?.error ? now : (src.gate.packageFailure(s.key, deviceId) ?? now);
      failing.push({ deviceId, status: report?.state ?? 'failed', exitCode: null, error: report?.error ?? null, outputTail: report?.outputTail ?? null });
    }
  }
  return {
    key: s.key,
    kind: s.kind,
    name: s.name,
    identity: s.identity,
    revision: r.persisted.revision,
    state: plan?.state ?? 'running',
    pauseReason: plan?.pauseReason ?? null,
    step,
    steps: s.rollout.steps.map((st, i) => ({ step: st, target: targets[i] ?? 0, released: Math.min(released, targets[i] ?? 0), done: plan ? i < step || plan.state === 'done' : false })),
    maxFailures: s.rollout.maxFailures,
    selected,
    released,
    succeeded: plan?.succeeded ?? 0,
    failing,
    waiting: plan?.waiting.length ?? 0,
  };
}

function bump(counts: StatusCounts, status: string): void {
  if (status in counts) counts[status as keyof StatusCounts]++;
}

/**
 * Every command identity: those of the current revision and those devices still report. The full
 * list is cached until a heartbeat brings new results, the revision changes or a rollout moves
 * (dashboards poll it).
 */
export async function commandSummaries(src: ViewSources, onlyName?: string): Promise<CommandSummary[]> {
  if (onlyName) return buildSummaries(src, onlyName);
  const hit = src.summaryCache;
  if (hit && hit.version === src.gate.version) return hit.value;
  const version = src.gate.version;
  const value = await buildSummaries(src);
  src.summaryCache = { version, value };
  return value;
}

async function buildSummaries(src: ViewSources, onlyName?: string): Promise<CommandSummary[]> {
  const fleet = src.gate.compiled;
  const known = src.gate.knownIdentities();
  const byId = new Map<string, CommandSummary & { desiredOn: Set<string> }>();
  const entry = (id: string, name: string): CommandSummary & { desiredOn: Set<string> } => {
    let e = byId.get(id);
    if (!e) {
      const k = known.get(id);
      e = {
        id, name, origin: k?.origin ?? 'approved', revisions: k ? [...new Set([k.lastRevision, k.firstRevision])].filter((x): x is string => !!x) : [],
        devices: 0, counts: emptyCounts(), byRevision: [], rollout: null, desiredOn: new Set(),
      };
      byId.set(id, e);
    }
    return e;
  };
  const ids = [...src.deviceIds()];
  if (fleet) {
    for (const c of fleet.commands) {
      if (onlyName && c.name !== onlyName) continue;
      const r = src.gate.commandRollout(c.name);
      const id = c.fixed ? c.fixed.value.id : (r?.subject.identity ?? `${c.name}@?`);
      const e = entry(id, c.name);
      e.origin = 'approved';
      for (const dev of ids) if (c.matches(dev, src.labelsOf(dev)) && (!r || r.released.has(dev))) e.desiredOn.add(dev);
      if (r) e.rollout = await rolloutProgress(src, r);
    }
    for (const [devId, d] of fleet.devices) {
      for (const t of d.commands ?? []) {
        if (onlyName && t.name !== onlyName) continue;
        const k = [...known.values()].find((x) => x.name === t.name && x.origin === 'override' && x.lastRevision === src.gate.currentRevision);
        if (!k) continue;
        const e = entry(k.identity, t.name);
        e.origin = 'override';
        e.desiredOn.add(devId);
      }
    }
  }
  // What devices report (their last results, in memory).
  const reported = new Map<string, Set<string>>();
  const statusOf = new Map<string, [string, string][]>();
  for (const dev of ids) {
    const json = src.commandsJson(dev);
    if (!json || json === '[]') continue;
    for (const c of reportedCommands(json)) {
      if (onlyName && c.name !== onlyName) continue;
      const e = entry(c.id, c.name);
      bump(e.counts, c.status);
      let set = reported.get(c.id);
      if (!set) reported.set(c.id, (set = new Set()));
      set.add(dev);
      let statuses = statusOf.get(c.id);
      if (!statuses) statusOf.set(c.id, (statuses = []));
      statuses.push([dev, c.status]);
    }
  }
  // Counts per revision: each result under the revision it was first reported in; pending ones under the current one.
  const revisionOf = await src.gate.resultRevisions([...byId.keys()]);
  const current = src.gate.currentRevision;
  for (const e of byId.values()) {
    const perRevision = new Map<string | null, StatusCounts>();
    const at = (rev: string | null): StatusCounts => {
      let c = perRevision.get(rev);
      if (!c) perRevision.set(rev, (c = emptyCounts()));
      return c;
    };
    const seen = reported.get(e.id);
    for (const [dev, status] of statusOf.get(e.id) ?? []) bump(at(revisionOf.get(`${dev}\0${e.id}`) ?? null), status);
    for (const dev of e.desiredOn) {
      if (seen?.has(dev)) continue;
      e.counts.pending++;
      at(current).pending++;
    }
    e.devices = e.desiredOn.size;
    e.byRevision = [...perRevision].map(([revision, counts]) => ({ revision, counts }));
  }
  return [...byId.values()]
    .map(({ desiredOn: _d, ...rest }) => rest)
    .sort((a, b) => (a.name === b.name ? a.id.localeCompare(b.id) : a.name.localeCompare(b.name)));
}

/** Per device results of every identity of `name`, with pending and not-released devices of the current one. */
export async function commandDeviceResults(src: ViewSources, name: string, summaries: readonly CommandSummary[]): Promise<CommandDeviceResult[]> {
  const known = src.gate.knownIdentities();
  const rows = await src.results({ commandName: name, limit: 10_000 });
  const out: CommandDeviceResult[] = rows.map((r) => ({
    deviceId: r.deviceId, id: r.commandId, name: r.name, status: r.status as CommandDeviceResult['status'], exitCode: r.exitCode, signal: r.signal,
    startedAt: r.startedAt, finishedAt: r.finishedAt, durationMs: r.durationMs, outputTail: r.outputTail, truncated: r.truncated,
    revision: known.get(r.commandId)?.firstRevision ?? null, reportedAt: new Date(r.reportedAt).toISOString(),
  }));
  const have = new Set(out.map((r) => `${r.deviceId}\0${r.id}`));
  const fleet = src.gate.compiled;
  const blank = (deviceId: string, id: string, status: CommandDeviceResult['status']): CommandDeviceResult => ({
    deviceId, id, name, status, exitCode: null, signal: null, startedAt: null, finishedAt: null, durationMs: null, outputTail: null, truncated: false,
    revision: known.get(id)?.firstRevision ?? null, reportedAt: null,
  });
  const approved = fleet?.commands.find((c) => c.name === name);
  if (approved) {
    const id = summaries.find((s) => s.origin === 'approved')?.id;
    const r = src.gate.commandRollout(name);
    if (id) {
      for (const dev of src.deviceIds()) {
        if (!approved.matches(dev, src.labelsOf(dev)) || have.has(`${dev}\0${id}`)) continue;
        out.push(blank(dev, id, r && !r.released.has(dev) ? 'notReleased' : 'pending'));
      }
    }
  }
  for (const s of summaries) {
    if (s.origin !== 'override' || !fleet) continue;
    for (const [dev, d] of fleet.devices) if (d.commands?.some((t) => t.name === name) && !have.has(`${dev}\0${s.id}`)) out.push(blank(dev, s.id, 'pending'));
  }
  return out.sort((a, b) => a.deviceId.localeCompare(b.deviceId) || (b.reportedAt ?? '').localeCompare(a.reportedAt ?? ''));
}
