// Resolves one device's desired document: packages after selectors, variants and pins;
// approved commands that select it plus its own trials; and the document's etag.
// Pure and deterministic: the same spec gives the same etag on every machine, and a change
// that does not touch a device leaves its etag alone.
import type { FleetSpec } from '../schema/fleet-spec.js';
import type { DesiredCommand, DesiredDocument, DesiredPackage } from '../wire/desired.js';
import { sha256Hex } from './canonical-json.js';
import type { PackagePin } from '../schema/device.js';
import { byPackageOrder, compileFleet, desiredPackage, hashed, memoCommand, type CompiledFleet, type CompiledPackage, type Hashed } from './compile-fleet.js';
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

const MAX_MEMO_ETAGS = 200_000;

function etagOfPieces(fleet: CompiledFleet, pkgs: Hashed<DesiredPackage>[], cmds: Hashed<DesiredCommand>[]): string {
  // Many devices get the same pieces: the etag is memoised by their serial numbers, a much shorter
  // text than their hashes. Pieces without a serial number (built outside hashed()) skip the memo.
  let key = '';
  for (let i = 0; i < pkgs.length; i++) key += `${pkgs[i]!.seq ?? NaN},`;
  key += '|';
  for (let i = 0; i < cmds.length; i++) key += `${cmds[i]!.seq ?? NaN},`;
  const memo = key.includes('NaN') ? undefined : (fleet.etags ??= new Map());
  const known = memo?.get(key);
  if (known) return known;
  // The same text as documentEtag, built without intermediate arrays.
  let text = `v1|${fleet.heartbeatMs}|`;
  for (let i = 0; i < pkgs.length; i++) text += (i ? ',' : '') + pkgs[i]!.hash;
  text += '|';
  for (let i = 0; i < cmds.length; i++) text += (i ? ',' : '') + cmds[i]!.hash;
  const etag = sha256Hex(text, 32);
  if (memo && memo.size < MAX_MEMO_ETAGS) memo.set(key, etag);
  return etag;
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
    if (!pin && !p.matches(id, labels)) continue;
    let variant = -1;
    for (let i = 0; i < p.variants.length; i++) if (p.variants[i]!.matches(id, labels)) variant = i;
    if (pin) pkgs.push(variant < 0 ? pin : pinOverVariant(fleet, p, variant, deviceSpec!.packages![p.name]!));
    else pkgs.push(variant < 0 ? p.base : p.variants[variant]!.pkg);
  }
  if (own?.extra.length) {
    pkgs.push(...own.extra);
    pkgs.sort((a, b) => byPackageOrder(a.value, b.value));
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
    cmds.push(c.fixed ?? memoCommand(fleet, c.spec, 'approved', versionLookup));
  }
  if (trials?.length) {
    for (const t of trials) {
      if (!trialNames!.has(t.name)) continue;
      cmds.push(memoCommand(fleet, t, 'override', versionLookup));
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
    etag: etagOfPieces(fleet, pkgs, cmds),
  };
}

const pinForms = new WeakMap<CompiledFleet, WeakMap<PackagePin, Map<number, Hashed<DesiredPackage>>>>();

/** A device pin laid over the selector variant the device gets: the pin's fields win, the rest comes from the variant. */
function pinOverVariant(fleet: CompiledFleet, p: CompiledPackage, variant: number, pin: PackagePin): Hashed<DesiredPackage> {
  let byPin = pinForms.get(fleet);
  if (!byPin) pinForms.set(fleet, (byPin = new WeakMap()));
  let forms = byPin.get(pin);
  if (!forms) byPin.set(pin, (forms = new Map()));
  let form = forms.get(variant);
  if (!form) {
    const o = p.spec.overrides![variant]!;
    const merged: PackagePin = {
      version: pin.version ?? o.version,
      // A pinned version without an artifact is the package's own version (validation sees to it).
      artifact: pin.artifact ?? (pin.version !== undefined ? p.spec.artifact : o.artifact),
      state: pin.state ?? o.state,
    };
    forms.set(variant, (form = hashed(desiredPackage(fleet.spec, p.spec, merged))));
  }
  return form;
}

/** Recomputes the etag of any document (after meta-side changes such as rollout gating). */
export function etagOf(document: DesiredDocument): string {
  return documentEtag(
    document.heartbeatMs,
    document.packages.map((p) => hashed(p).hash),
    document.commands.map((c) => hashed(c).hash),
  );
}
