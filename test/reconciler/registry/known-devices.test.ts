// KnownDevices.ids(): every device heard from (observed, loaded from the store, written by another
// meta) and every declared one, sorted, once each; the cached array is rebuilt when a device is
// added or the revision changes, and only then.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredState } from '../../../reconciler/desired/desired-state.js';
import { DeviceRegistry } from '../../../reconciler/registry/device-registry.js';
import { KnownDevices } from '../../../reconciler/registry/known-devices.js';
import type { StoredDevice } from '../../../reconciler/store/store.js';
import { HeartbeatRequestSchema } from '../../../specs/wire/heartbeat.js';
import { heartbeatBody } from '../../helpers/meta-process.js';
import { nullStore } from '../../helpers/null-store.js';

const stored = (id: string, lastSeen: number): StoredDevice => ({
  id, hostname: id, reportedLabels: {}, facts: '{}', firstSeen: lastSeen, lastSeen, etag: null, appliedEtag: null, packages: '[]', commands: '[]', condition: null, reason: null,
});

/** A revision declaring `ids` (what KnownDevices reads of DesiredState). */
function declaring(ids: string[]): { compiled: object; declaredDevices: () => string[] } {
  return { compiled: {}, declaredDevices: () => [...ids] };
}

type Step = { name: string; act: (r: DeviceRegistry, d: { current: ReturnType<typeof declaring> }) => void; ids: string[]; rebuilt: boolean };

const steps: Step[] = [
  { name: 'declared only', act: () => {}, ids: ['d-2', 'd-9'], rebuilt: true },
  { name: 'loaded from the store', act: (r) => void r.load([stored('d-5', 1), stored('d-1', 1)]), ids: ['d-1', 'd-2', 'd-5', 'd-9'], rebuilt: true },
  { name: 'nothing new', act: () => {}, ids: ['d-1', 'd-2', 'd-5', 'd-9'], rebuilt: false },
  { name: 'a known device reports again', act: (r) => void r.observe(HeartbeatRequestSchema.parse(heartbeatBody('d-5', {})), 2), ids: ['d-1', 'd-2', 'd-5', 'd-9'], rebuilt: false },
  { name: 'a declared device reports: listed once', act: (r) => void r.observe(HeartbeatRequestSchema.parse(heartbeatBody('d-9', {})), 3), ids: ['d-1', 'd-2', 'd-5', 'd-9'], rebuilt: true },
  { name: 'a new device reports', act: (r) => void r.observe(HeartbeatRequestSchema.parse(heartbeatBody('d-0', {})), 4), ids: ['d-0', 'd-1', 'd-2', 'd-5', 'd-9'], rebuilt: true },
  { name: 'another meta wrote a new device', act: (r) => void r.applyRemote(stored('d-7', 5), 5), ids: ['d-0', 'd-1', 'd-2', 'd-5', 'd-7', 'd-9'], rebuilt: true },
  { name: 'another meta wrote a known device', act: (r) => void r.applyRemote(stored('d-7', 6), 6), ids: ['d-0', 'd-1', 'd-2', 'd-5', 'd-7', 'd-9'], rebuilt: false },
  { name: 'a new revision declares another device', act: (_r, d) => void (d.current = declaring(['d-2', 'd-3', 'd-9'])), ids: ['d-0', 'd-1', 'd-2', 'd-3', 'd-5', 'd-7', 'd-9'], rebuilt: true },
];

test('KnownDevices.ids: sorted, each id once, rebuilt only when a device is added or the revision changes', () => {
  const registry = new DeviceRegistry(nullStore());
  const d = { current: declaring(['d-9', 'd-2']) };
  const desired = { get compiled() { return d.current.compiled; }, declaredDevices: () => d.current.declaredDevices() } as unknown as DesiredState;
  const known = new KnownDevices(registry, desired);
  let last: readonly string[] | null = null;
  for (const step of steps) {
    step.act(registry, d);
    const ids = known.ids();
    assert.deepEqual([...ids], step.ids, step.name);
    assert.equal(ids !== last, step.rebuilt, `${step.name}: rebuilt`);
    last = ids;
  }
});
