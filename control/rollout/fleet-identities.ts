// The command identities a revision holds, approved and under trial, for the results API. Pure.
import type { CompiledFleet } from '../../specs/resolve/compile-fleet.js';
import { commandContentHash, commandId } from '../../specs/resolve/command-identity.js';

export interface FleetIdentity {
  identity: string;
  name: string;
  origin: 'override' | 'approved';
}

export function fleetIdentities(fleet: CompiledFleet): FleetIdentity[] {
  const out: FleetIdentity[] = [];
  for (const c of fleet.commands) out.push({ identity: c.fixed ? c.fixed.value.id : commandId(c.name, commandContentHash(c.spec)), name: c.name, origin: 'approved' });
  const approved = new Set(fleet.commands.map((c) => c.name));
  for (const d of fleet.devices.values()) {
    for (const t of d.commands ?? []) if (!approved.has(t.name)) out.push({ identity: commandId(t.name, commandContentHash(t)), name: t.name, origin: 'override' });
  }
  return out;
}
