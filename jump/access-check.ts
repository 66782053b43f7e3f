// Access checked against the current revision, not the one a user logged in with: the user's
// spec now (gone or `disabled: true` means no access at all), whether an admin lock applies, and
// whether what a connection is doing (menu, shell, device session, tunnel) is still allowed.
// The verdicts are pure; device labels come from the resolver.
import type { UserSpec } from '../specs/schema/user.js';
import { mayReach } from './access.js';
import type { Activity } from './activity.js';
import type { Labels } from '../specs/resolve/match-selector.js';

export interface LoginIdentity {
  /** The spec at login. */
  user: UserSpec;
  /** True when the user came from the fleet repository (false: the company user service). */
  fromFleet: boolean;
}

/** The user's spec now: undefined when removed from the repository or disabled. */
export function userNow(login: LoginIdentity, users: ReadonlyMap<string, UserSpec>): UserSpec | undefined {
  if (!login.fromFleet) return login.user;
  const u = users.get(login.user.name);
  return u && !u.disabled ? u : undefined;
}

/** A spec with no rights at all, for a connection whose user lost access. */
export function noAccess(user: UserSpec): UserSpec {
  return { ...user, access: [], shell: false, disabled: true };
}

export type DeviceLabels = (id: string) => Promise<{ id: string; labels: Labels } | undefined>;

/** Why the activity is no longer allowed, or undefined when it still is. */
export async function activityRefusal(user: UserSpec | undefined, a: Activity, labelsOf: DeviceLabels): Promise<string | undefined> {
  if (!user) return 'user removed or disabled';
  if (a.kind === 'shell') return user.shell ? undefined : 'jump host shell no longer allowed';
  if ((a.kind === 'device' || a.kind === 'tunnel') && a.device) {
    const d = await labelsOf(a.device).catch(() => undefined);
    if (!d) return `${a.device}: unknown device`;
    if (!mayReach(user.access, { id: d.id, labels: d.labels, port: a.port ?? 22 })) return `${a.device}:${a.port ?? 22} no longer allowed`;
  }
  return undefined;
}

/** The first refusal among a connection's activities (a connection with anything not allowed is closed). */
export async function connectionRefusal(user: UserSpec | undefined, activities: Iterable<Activity>, labelsOf: DeviceLabels): Promise<string | undefined> {
  if (!user) return 'user removed or disabled';
  for (const a of activities) {
    const why = await activityRefusal(user, a, labelsOf);
    if (why) return why;
  }
  return undefined;
}
