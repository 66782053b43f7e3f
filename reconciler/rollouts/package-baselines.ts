// Package rollouts, per device: the desired package last released to it (its baseline). A device
// keeps its baseline until the rollout of the version it resolves to releases it; a device new to
// a package gets the current version at once. Loaded from the store at start, written through it.
import type { CompiledFleet } from '../../specs/resolve/compile-fleet.js';
import type { DesiredPackage } from '../../specs/wire/desired.js';
import { packageIdentity } from '../../control/rollout/rollout-subjects.js';
import type { BaselineRow } from '../store/rollout-records.js';
import type { Baseline, RolloutStore } from './rollout-store.js';

/**
 * The JSON of a desired package, made once per object: devices share the package objects of a
 * revision, so a new revision compares each device's baseline with its package without
 * serialising both for every device.
 */
const jsonOf = new WeakMap<DesiredPackage, string>();
function sameContent(a: DesiredPackage, b: DesiredPackage): boolean {
  if (a === b) return true;
  let ja = jsonOf.get(a);
  if (ja === undefined) jsonOf.set(a, (ja = JSON.stringify(a)));
  let jb = jsonOf.get(b);
  if (jb === undefined) jsonOf.set(b, (jb = JSON.stringify(b)));
  return ja === jb;
}

/**
 * Where a device keeps its baselines (its registry record): the one Baseline of its only package
 * under rollout, an array of them for several packages, null for none.
 */
export interface BaselineSlot {
  baselines: Baseline | readonly Baseline[] | null;
}

/** The baseline of `pkg` among a slot's baselines. */
export function slotBaseline(held: Baseline | readonly Baseline[] | null, pkg: string): Baseline | undefined {
  if (held === null) return undefined;
  if (!Array.isArray(held)) return (held as Baseline).value.name === pkg ? (held as Baseline) : undefined;
  for (const b of held as readonly Baseline[]) if (b.value.name === pkg) return b;
  return undefined;
}

/** A slot's baselines with `b` in place of the baseline of its package (added when it had none). */
export function withBaseline(held: Baseline | readonly Baseline[] | null, b: Baseline): Baseline | readonly Baseline[] {
  const pkg = b.value.name;
  if (held === null) return b;
  if (!Array.isArray(held)) return (held as Baseline).value.name === pkg ? b : [held as Baseline, b];
  const list = held as readonly Baseline[];
  const i = list.findIndex((x) => x.value.name === pkg);
  return i < 0 ? [...list, b] : list.map((x, j) => (j === i ? b : x));
}

export class PackageBaselines {
  /**
   * Devices with a slot (a registry record) keep their baselines on it: no map entry per device,
   * and devices on the same version share one Baseline object. Devices without a slot (declared
   * but never heard from, or rows of another meta for a device not seen here yet): package →
   * device → baseline.
   */
  private readonly byPackage = new Map<string, Map<string, Baseline>>();
  private readonly shared = new WeakMap<DesiredPackage, Baseline>();

  constructor(
    map: Map<string, Map<string, Baseline>>,
    private readonly store: RolloutStore,
    private readonly slotOf: (id: string) => BaselineSlot | undefined = () => undefined,
  ) {
    for (const [id, perDevice] of map) for (const b of perDevice.values()) this.put(id, b);
  }

  private find(id: string, pkg: string): Baseline | undefined {
    const slot = this.slotOf(id);
    if (slot !== undefined) {
      const held = slotBaseline(slot.baselines, pkg);
      if (held !== undefined) return held;
    }
    return this.byPackage.get(pkg)?.get(id);
  }

  /** Keeps `b` as the device's baseline of its package (on its slot when it has one). */
  private put(id: string, b: Baseline): void {
    const pkg = b.value.name;
    const slot = this.slotOf(id);
    if (slot !== undefined) {
      slot.baselines = withBaseline(slot.baselines, b);
      const m = this.byPackage.get(pkg);
      if (m !== undefined && m.delete(id) && m.size === 0) this.byPackage.delete(pkg);
      return;
    }
    let m = this.byPackage.get(pkg);
    if (!m) this.byPackage.set(pkg, (m = new Map()));
    m.set(id, b);
  }

  private baseline(identity: string, value: DesiredPackage): Baseline {
    let b = this.shared.get(value);
    if (!b || b.identity !== identity) this.shared.set(value, (b = { identity, value }));
    return b;
  }

  /** Identity of the version last released to this device, undefined when it never had the package. */
  identityOf(id: string, pkg: string): string | undefined {
    return this.find(id, pkg)?.identity;
  }

  /** The package this device gets: `p`, or its baseline while `p`'s rollout has not released it. */
  gate(fleet: CompiledFleet, id: string, p: DesiredPackage, isReleased: (key: string, id: string) => boolean): DesiredPackage {
    const spec = fleet.packages.find((c) => c.name === p.name);
    if (!spec?.spec.rollout || fleet.perDevice.get(id)?.pinned.has(p.name)) return p;
    const identity = packageIdentity(p);
    const base = this.find(id, p.name);
    if (!base) {
      this.set(id, p, identity); // a device new to this package gets the current version
      return p;
    }
    if (base.identity === identity) {
      if (base.value !== p) this.set(id, p, identity);
      return p;
    }
    if (isReleased(`package:${identity}`, id)) {
      this.set(id, p, identity);
      return p;
    }
    return base.value;
  }

  /** Baselines other metas wrote: kept as they are (not written back); returns the devices whose baseline changed. */
  applyRemote(rows: readonly BaselineRow[]): string[] {
    const changed = new Set<string>();
    for (const row of rows) {
      const prior = this.find(row.deviceId, row.package);
      if (prior && prior.identity === row.identity && sameContent(prior.value, row.value)) continue;
      this.put(row.deviceId, this.baseline(row.identity, row.value));
      changed.add(row.deviceId);
    }
    return [...changed];
  }

  private set(id: string, value: DesiredPackage, identity: string): void {
    const prior = this.find(id, value.name);
    this.put(id, this.baseline(identity, value));
    if (prior && prior.identity === identity && sameContent(prior.value, value)) return;
    this.store.putBaseline(id, value.name, { identity, value });
  }
}
