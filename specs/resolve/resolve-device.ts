// Resolves one device's desired document: packages after selectors, variants and pins;
// approved commands that select it plus its own trials; and the document's etag.
// Pure and deterministic: the same spec gives the same etag on every machine, and a change
// that does not touch a device leaves its etag alone.
import type { FleetSpec } from '../schema/fleet-spec.js';
import type { DesiredCommand, DesiredDocument, DesiredPackage } from '../wire/desired.js';
import { sha256Hex } from './canonical-json.js';
import { compileFleet, desiredCommand, hashed, type CompiledFleet, type Hashed } from './compile-fleet.js';
import type { Labels } from './match-selector.js';

export interface DeviceIdentity {
  id: string;
  /** Labels the device reports; those in devices/<id>.yaml win. */
  labels?: Labels;
}

export interface ResolvedDevice {
  id: string;
  /** Effective labels: reported, overlaid with the device file's. */
  labels: Labels;
  /** True when the device has a file in devices/. */
  declared: boolean;
  document: DesiredDocument;
  etag: string;
}

const compiledCache = new WeakMap<FleetSpec, CompiledFleet>();

function compiled(spec: FleetSpec | CompiledFleet): CompiledFleet {
  if ('packages' in spec && 'perDevice' in spec) return spec as CompiledFleet;
  const s = spec as FleetSpec;
  let c = compiledCache.get(s);
  if (!c) {
    c = compileFleet(s);
    compiledCache.set(s, c);
  }
  return c;
}

export function effectiveLabels(fleet: CompiledFleet, id: string, reported: Labels | undefined): Labels {
  const declared = fleet.devices.get(id)?.labels;
  if (!declared) return reported ?? {};
  if (!reported) return declared;
  return { ...reported, ...declared };
}

/** The etag of a document made of these hashed pieces. */
export function documentEtag(heartbeatMs: number, packageHashes: string[], commandHashes: string[]): string {
  return sha256Hex(`v1|${heartbeatMs}|${packageHashes.join(',')}|${commandHashes.join(',')}`, 32);
}

export function resolveDevice(spec: FleetSpec | CompiledFleet, device: DeviceIdentity): ResolvedDevice {
  const fleet = compiled(spec);
  const id = device.id;
  const labels = effectiveLabels(fleet, id, device.labels);
  const own = fleet.perDevice.get(id);
  const deviceSpec = fleet.devices.get(id);

  const pkgs: Hashed<DesiredPackage>[] = [];
  for (const p of fleet.packages) {
    const pin = own?.pinned.get(p.name);
    if (pin) {
      pkgs.push(pin);
      continue;
    }
    if (!p.matches(id, labels)) continue;
    let chosen = p.base;
    for (const v of p.variants) if (v.matches(id, labels)) chosen = v.pkg;
    pkgs.push(chosen);
  }
  if (own?.extra.length) {
    pkgs.push(...own.extra);
    pkgs.sort((a, b) => (a.value.name < b.value.name ? -1 : a.value.name > b.value.name ? 1 : 0));
  }

  let versionOf: ((name: string) => string | null) | undefined;
  const versionLookup = (name: string): string | null => {
    versionOf ??= ((m) => (n: string) => m.get(n) ?? null)(new Map(pkgs.map((p) => [p.value.name, p.value.version] as const)));
    return versionOf(name);
  };

  const cmds: Hashed<DesiredCommand>[] = [];
  const trials = deviceSpec?.commands;
  const trialNames = trials?.length ? new Set(trials.map((t) => t.name)) : undefined;
  for (const c of fleet.commands) {
    if (!c.matches(id, labels)) continue;
    if (trialNames?.has(c.name)) {
      // The trial copy wins only where it differs (validation forbids that when the approved one selects
      // this device), so here it is the same command: keep the approved one.
      trialNames.delete(c.name);
    }
    cmds.push(c.fixed ?? hashed(desiredCommand(fleet.spec, c.spec, 'approved', versionLookup)));
  }
  if (trials?.length) {
    for (const t of trials) {
      if (!trialNames!.has(t.name)) continue;
      cmds.push(hashed(desiredCommand(fleet.spec, t, 'override', versionLookup)));
    }
    cmds.sort((a, b) => (a.value.name < b.value.name ? -1 : a.value.name > b.value.name ? 1 : 0));
  }

  const document: DesiredDocument = {
    packages: pkgs.map((p) => p.value),
    commands: cmds.map((c) => c.value),
    heartbeatMs: fleet.heartbeatMs,
  };
  return {
    id,
    labels,
    declared: deviceSpec !== undefined,
    document,
    etag: documentEtag(fleet.heartbeatMs, pkgs.map((p) => p.hash), cmds.map((c) => c.hash)),
  };
}

/** Recomputes the etag of any document (after meta-side changes such as rollout gating). */
export function etagOf(document: DesiredDocument): string {
  return documentEtag(
    document.heartbeatMs,
    document.packages.map((p) => hashed(p).hash),
    document.commands.map((c) => hashed(c).hash),
  );
}
