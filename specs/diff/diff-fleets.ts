// What a change to the fleet repository would do, device by device: the review a pull request needs.
import type { FleetSpec } from '../schema/fleet-spec.js';
import { resolveDevice } from '../resolve/resolve-device.js';
import type { DesiredCommand, DesiredDocument, DesiredPackage } from '../wire/desired.js';
import { canonicalJson } from '../resolve/canonical-json.js';
import { compareVersions } from './compare-versions.js';

/** `rollout`: the steps of the staged rollout that will release the change (`1, 10%, 100%`). */
export type Change =
  | { kind: 'package-added'; name: string; version: string; state: string; rollout?: string }
  | { kind: 'package-removed'; name: string; version: string }
  | { kind: 'package-upgraded' | 'package-downgraded'; name: string; from: string; to: string; rollout?: string }
  | { kind: 'package-state'; name: string; from: string; to: string }
  | { kind: 'package-artifact'; name: string; version: string; note: string; rollout?: string }
  | { kind: 'package-settings'; name: string; version: string }
  | { kind: 'command-runs'; name: string; id: string; run: string; origin: string; rollout?: string }
  | { kind: 'command-removed'; name: string; id: string }
  | { kind: 'heartbeat'; fromMs: number; toMs: number };

export interface DeviceDiff {
  id: string;
  changes: Change[];
  /** Present in only one of the two revisions. */
  presence?: 'added' | 'removed';
}

export interface FleetDiff {
  devices: DeviceDiff[];
  affected: number;
  total: number;
  counts: Partial<Record<Change['kind'], number>>;
}

function byName<T extends { name: string }>(items: T[]): Map<string, T> {
  return new Map(items.map((i) => [i.name, i] as const));
}

export function diffDocuments(before: DesiredDocument, after: DesiredDocument): Change[] {
  const changes: Change[] = [];
  const oldPkgs = byName(before.packages);
  const newPkgs = byName(after.packages);
  for (const [name, p] of newPkgs) {
    const o = oldPkgs.get(name);
    if (!o) {
      changes.push({ kind: 'package-added', name, version: p.version, state: p.state });
      continue;
    }
    comparePackage(o, p, changes);
  }
  for (const [name, o] of oldPkgs) if (!newPkgs.has(name)) changes.push({ kind: 'package-removed', name, version: o.version });
  const oldCmds = new Set(before.commands.map((c) => c.id));
  const newCmds = new Set(after.commands.map((c) => c.id));
  for (const c of after.commands) if (!oldCmds.has(c.id)) changes.push(commandRuns(c));
  for (const c of before.commands) if (!newCmds.has(c.id)) changes.push({ kind: 'command-removed', name: c.name, id: c.id });
  if (before.heartbeatMs !== after.heartbeatMs) changes.push({ kind: 'heartbeat', fromMs: before.heartbeatMs, toMs: after.heartbeatMs });
  return changes;
}

function commandRuns(c: DesiredCommand): Change {
  return { kind: 'command-runs', name: c.name, id: c.id, run: c.run, origin: c.origin };
}

function comparePackage(o: DesiredPackage, p: DesiredPackage, changes: Change[]): void {
  if (o.version !== p.version) {
    const up = compareVersions(p.version, o.version) > 0;
    changes.push({ kind: up ? 'package-upgraded' : 'package-downgraded', name: p.name, from: o.version, to: p.version });
  } else if (canonicalJson(o.artifact) !== canonicalJson(p.artifact)) {
    const sameUrl = o.artifact.url === p.artifact.url;
    changes.push({ kind: 'package-artifact', name: p.name, version: p.version, note: sameUrl ? 'checksum changed for the same version and URL: is the artifact being replaced in place?' : 'artifact URL changed' });
  }
  if (o.state !== p.state) changes.push({ kind: 'package-state', name: p.name, from: o.state, to: p.state });
  const settings = (x: DesiredPackage) => canonicalJson({ control: x.control, run: x.run, pidFile: x.pidFile, keepVersions: x.keepVersions });
  if (o.version === p.version && settings(o) !== settings(p)) changes.push({ kind: 'package-settings', name: p.name, version: p.version });
}

const EMPTY: DesiredDocument = { packages: [], commands: [], heartbeatMs: 0 };

/** Compares two revisions for the devices declared in either (and any extra ids given, with their labels). */
export function diffFleets(before: FleetSpec, after: FleetSpec, extraDevices: { id: string; labels?: Record<string, string> }[] = []): FleetDiff {
  const ids = new Map<string, Record<string, string> | undefined>();
  for (const d of extraDevices) ids.set(d.id, d.labels);
  for (const d of before.devices) if (!ids.has(d.id)) ids.set(d.id, undefined);
  for (const d of after.devices) if (!ids.has(d.id)) ids.set(d.id, undefined);
  const inBefore = new Set(before.devices.map((d) => d.id));
  const inAfter = new Set(after.devices.map((d) => d.id));
  const devices: DeviceDiff[] = [];
  const counts: FleetDiff['counts'] = {};
  for (const [id, labels] of [...ids].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const extra = extraDevices.some((d) => d.id === id);
    const a = extra || inBefore.has(id) ? resolveDevice(before, { id, labels }) : undefined;
    const b = extra || inAfter.has(id) ? resolveDevice(after, { id, labels }) : undefined;
    const changes = a && b && a.etag === b.etag ? [] : diffDocuments(a?.document ?? { ...EMPTY, heartbeatMs: b!.document.heartbeatMs }, b?.document ?? { ...EMPTY, heartbeatMs: a!.document.heartbeatMs });
    if (b) annotateRollouts(after, id, changes);
    const diff: DeviceDiff = { id, changes };
    if (!a) diff.presence = 'added';
    if (!b) diff.presence = 'removed';
    for (const c of changes) counts[c.kind] = (counts[c.kind] ?? 0) + 1;
    devices.push(diff);
  }
  return { devices, affected: devices.filter((d) => d.changes.length > 0).length, total: devices.length, counts };
}

/** Marks the changes that a staged rollout releases (a device's own pins and trials are not staged). */
function annotateRollouts(after: FleetSpec, id: string, changes: Change[]): void {
  const steps = (r: { steps: (number | string)[] } | undefined): string | undefined => (r ? r.steps.join(', ') : undefined);
  const pinned = after.devices.find((d) => d.id === id)?.packages ?? {};
  for (const c of changes) {
    if (c.kind === 'package-added' || c.kind === 'package-upgraded' || c.kind === 'package-downgraded' || c.kind === 'package-artifact') {
      if (pinned[c.name]) continue;
      const rollout = steps(after.packages.find((p) => p.name === c.name)?.rollout);
      if (rollout) c.rollout = rollout;
    } else if (c.kind === 'command-runs' && c.origin === 'approved') {
      const rollout = steps(after.commands.find((x) => x.name === c.name)?.rollout);
      if (rollout) c.rollout = rollout;
    }
  }
}
