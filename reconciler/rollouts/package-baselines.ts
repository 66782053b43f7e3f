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

export class PackageBaselines {
  /**
   * Package → device → baseline: one map per package rather than one per device, and devices on the
   * same version share one Baseline object (100,000 devices cost an entry each, not a map each).
   */
  private readonly byPackage = new Map<string, Map<string, Baseline>>();
  private readonly shared = new WeakMap<DesiredPackage, Baseline>();

  constructor(
    map: Map<string, Map<string, Baseline>>,
    private readonly store: RolloutStore,
  ) {
    for (const [id, perDevice] of map) for (const [pkg, b] of perDevice) this.slot(pkg).set(id, b);
  }

  private slot(pkg: string): Map<string, Baseline> {
    let m = this.byPackage.get(pkg);
    if (!m) this.byPackage.set(pkg, (m = new Map()));
    return m;
  }

  private baseline(identity: string, value: DesiredPackage): Baseline {
    let b = this.shared.get(value);
    if (!b || b.identity !== identity) this.shared.set(value, (b = { identity, value }));
    return b;
  }

  /** Identity of the version last released to this device, undefined when it never had the package. */
  identityOf(id: string, pkg: string): string | undefined {
    return this.byPackage.get(pkg)?.get(id)?.identity;
  }

  /** The package this device gets: `p`, or its baseline while `p`'s rollout has not released it. */
  gate(fleet: CompiledFleet, id: string, p: DesiredPackage, isReleased: (key: string, id: string) => boolean): DesiredPackage {
    const spec = fleet.packages.find((c) => c.name === p.name);
    if (!spec?.spec.rollout || fleet.perDevice.get(id)?.pinned.has(p.name)) return p;
    const identity = packageIdentity(p);
    const base = this.byPackage.get(p.name)?.get(id);
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
      const slot = this.slot(row.package);
      const prior = slot.get(row.deviceId);
      if (prior && prior.identity === row.identity && sameContent(prior.value, row.value)) continue;
      slot.set(row.deviceId, this.baseline(row.identity, row.value));
      changed.add(row.deviceId);
    }
    return [...changed];
  }

  private set(id: string, value: DesiredPackage, identity: string): void {
    const slot = this.slot(value.name);
    const prior = slot.get(id);
    slot.set(id, this.baseline(identity, value));
    if (prior && prior.identity === identity && sameContent(prior.value, value)) return;
    this.store.putBaseline(id, value.name, { identity, value });
  }
}
