// Every device meta knows: those heard from (the registry) and those declared in devices/ of the
// served revision that never reported. One per meta, built in startMeta (deps.devices).
import type { DesiredState } from '../desired/desired-state.js';
import type { DeviceRegistry } from './device-registry.js';

export class KnownDevices {
  /**
   * The one sorted array of every known id, and what it was built for: the registry's id set (its
   * version) and the revision's declared devices. Built with its exact length: at 100,000 devices
   * no second sorted copy (the registry's) and no spare capacity is kept.
   */
  private cached: { version: number; compiled: object | null; ids: readonly string[] } | null = null;

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly desired: DesiredState,
  ) {}

  /** Every known id, sorted (cached until a device first reports or the revision changes). */
  ids(): readonly string[] {
    const version = this.registry.idsVersion;
    const compiled = this.desired.compiled;
    const c = this.cached;
    if (c && c.version === version && c.compiled === compiled) return c.ids;
    const extra = this.desired.declaredDevices().filter((id) => !this.registry.get(id));
    const ids = new Array<string>(this.registry.size + extra.length);
    let i = 0;
    for (const id of this.registry.ids()) ids[i++] = id;
    for (const id of extra) ids[i++] = id;
    ids.sort();
    this.cached = { version, compiled, ids };
    return ids;
  }

  /** Known to meta: reported, or declared in the served revision. */
  has(id: string): boolean {
    return this.registry.get(id) !== undefined || (this.desired.compiled?.devices.has(id) ?? false);
  }
}
