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
  constructor(
    private readonly map: Map<string, Map<string, Baseline>>,
    private readonly store: RolloutStore,
  ) {}

  /** Identity of the version last released to this device, undefined when it never had the package. */
  identityOf(id: string, pkg: string): string | undefined {
    return this.map.get(id)?.get(pkg)?.identity;
  }

  /** The package this device gets: `p`, or its baseline while `p`'s rollout has not released it. */
  gate(fleet: CompiledFleet, id: string, p: DesiredPackage, isReleased: (key: string, id: string) => boolean): DesiredPackage {
    const spec = fleet.packages.find((c) => c.name === p.name);
    if (!spec?.spec.rollout || fleet.perDevice.get(id)?.pinned.has(p.name)) return p;
    const identity = packageIdentity(p);
    const base = this.map.get(id)?.get(p.name);
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
      let perDevice = this.map.get(row.deviceId);
      if (!perDevice) this.map.set(row.deviceId, (perDevice = new Map()));
      const prior = perDevice.get(row.package);
      if (prior && prior.identity === row.identity && sameContent(prior.value, row.value)) continue;
      perDevice.set(row.package, { identity: row.identity, value: row.value });
      changed.add(row.deviceId);
    }
    return [...changed];
  }

  private set(id: string, value: DesiredPackage, identity: string): void {
    let perDevice = this.map.get(id);
    if (!perDevice) this.map.set(id, (perDevice = new Map()));
    const prior = perDevice.get(value.name);
    perDevice.set(value.name, { identity, value });
    if (prior && prior.identity === identity && sameContent(prior.value, value)) return;
    this.store.putBaseline(id, value.name, { identity, value });
  }
}
