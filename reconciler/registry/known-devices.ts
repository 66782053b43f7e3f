// Every device meta knows: those heard from (the registry) and those declared in devices/ of the
// served revision that never reported. One per meta, built in startMeta (deps.devices).
import type { DesiredState } from '../desired/desired-state.js';
import type { DeviceRegistry } from './device-registry.js';

export class KnownDevices {
  private cached: { reported: readonly string[]; compiled: object | null; ids: readonly string[] } | null = null;

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly desired: DesiredState,
  ) {}

  /** Every known id, sorted (cached until a device first reports or the revision changes). */
  ids(): readonly string[] {
    const reported = this.registry.sortedIds();
    const compiled = this.desired.compiled;
    const c = this.cached;
    if (c && c.reported === reported && c.compiled === compiled) return c.ids;
    const extra = this.desired.declaredDevices().filter((id) => !this.registry.get(id));
    const ids = extra.length === 0 ? reported : [...reported, ...extra].sort();
    this.cached = { reported, compiled, ids };
    return ids;
  }

  /** Known to meta: reported, or declared in the served revision. */
  has(id: string): boolean {
    return this.registry.get(id) !== undefined || (this.desired.compiled?.devices.has(id) ?? false);
  }
}
