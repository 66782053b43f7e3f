// Access rules (pure): may a user reach a device's port? A user's `access` rules each select
// devices (ids, labels, expressions) and list ports; one matching rule is enough.
import { compileSelector, type Labels } from '../specs/resolve/match-selector.js';
import type { AccessRule } from '../specs/schema/user.js';

export interface AccessTarget {
  id: string;
  labels: Labels;
  port: number;
}

export function mayReach(rules: readonly AccessRule[], target: AccessTarget): boolean {
  return rules.some((rule) => rule.ports.includes(target.port) && compileSelector(rule.select)(target.id, target.labels));
}

/** The devices among `devices` the user may open an SSH session to (port 22 unless given). */
export function reachableDevices<T extends { id: string; labels: Labels; port?: number }>(rules: readonly AccessRule[], devices: readonly T[]): T[] {
  return devices.filter((d) => mayReach(rules, { id: d.id, labels: d.labels, port: d.port ?? 22 }));
}
