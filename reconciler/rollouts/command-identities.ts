// The command identities meta has seen in revisions (for the results API, per revision), and the
// revision each device's result of an identity was first reported under. Kept in the Store.
import type { CompiledFleet } from '../../specs/resolve/compile-fleet.js';
import { fleetIdentities } from '../../control/rollout/fleet-identities.js';
import type { KnownIdentity, RolloutStore } from './rollout-store.js';

export class CommandIdentities {
  private readonly known = new Map<string, KnownIdentity>();

  constructor(private readonly store: RolloutStore) {
    for (const k of store.loadIdentities()) this.known.set(k.identity, k);
  }

  /** Remembers every command identity of this revision. */
  record(fleet: CompiledFleet, revision: string | null, now: number): void {
    const changed: KnownIdentity[] = [];
    for (const { identity, name, origin } of fleetIdentities(fleet)) {
      const k = this.known.get(identity);
      if (k && k.lastRevision === revision && k.origin === origin) continue;
      const next = k ? { ...k, origin, lastRevision: revision } : { identity, name, origin, firstRevision: revision, lastRevision: revision, firstSeen: now };
      this.known.set(identity, next);
      changed.push(next);
    }
    if (changed.length) this.store.saveIdentities(changed);
  }

  all(): ReadonlyMap<string, KnownIdentity> {
    return this.known;
  }

  /** A device reported new results for these command identities under `revision`. */
  recordResults(deviceId: string, commandIds: readonly string[], revision: string | null): void {
    for (const id of commandIds) this.store.putResultRevision(deviceId, id, revision);
  }

  /** `deviceId\0commandId` → the revision each result was first reported under. */
  resultRevisions(commandIds: readonly string[]): Promise<Map<string, string | null>> {
    return this.store.resultRevisions(commandIds);
  }
}
