// Opens meta's enrollments: records from the Store, the fleet's `enroll` declarations, and the
// `Revoked` condition of revoked devices (recorded in their history when it changes).
import type { Logger } from '../../lib/log.js';
import type { DesiredState } from '../desired/desired-state.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import type { ConditionTracker } from '../status/condition-tracker.js';
import type { Store } from '../store/store.js';
import { Enrollments } from './enrollments.js';

export async function openEnrollments(o: { store: Store; clock: { now(): number }; log: Logger; desired: DesiredState; registry: DeviceRegistry; conditions: ConditionTracker }): Promise<Enrollments> {
  const enrollments = new Enrollments({
    store: o.store,
    clock: o.clock,
    log: o.log,
    fleetSpec: (id) => o.desired.compiled?.devices.get(id)?.enroll,
  });
  const loaded = await enrollments.load();
  if (loaded) o.log.info({ enrollments: enrollments.counts() }, 'restored device enrollments from the store');
  o.conditions.setOverride((id) => {
    const revoked = enrollments.revocation(id);
    return revoked ? { condition: 'Revoked', ...revoked } : null;
  });
  enrollments.onChange((row) => {
    const record = o.registry.get(row.deviceId);
    if (record) o.conditions.track(record, o.clock.now());
  });
  return enrollments;
}
