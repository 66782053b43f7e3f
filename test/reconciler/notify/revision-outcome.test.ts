// The commit state and description of an applied revision, from device outcomes and rollouts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitState, describeOutcome, MAX_DESCRIPTION, outcomeOf, revisionOutcome, type DeviceOutcome, type RolloutOutcome } from '../../../reconciler/notify/revision-outcome.js';

const rows = (spec: Record<string, DeviceOutcome>) => Object.entries(spec).map(([id, outcome]) => ({ id, outcome, reason: outcome === 'failed' ? 'CommandFailed' : 'x', message: outcome === 'failed' ? `command on ${id} failed` : '' }));

test('conditions map to outcomes', () => {
  assert.deepEqual((['InSync', 'Progressing', 'Failed', 'Offline'] as const).map(outcomeOf), ['applied', 'pending', 'failed', 'offline']);
});

test('commit state from counts and rollouts', () => {
  const table: [string, Parameters<typeof commitState>[0], { paused: number; running: number }, string][] = [
    ['nothing applied yet', { total: 3, applied: 0, pending: 3, failed: 0, offline: 0 }, { paused: 0, running: 0 }, 'pending'],
    ['some applied', { total: 3, applied: 2, pending: 1, failed: 0, offline: 0 }, { paused: 0, running: 0 }, 'pending'],
    ['all applied', { total: 3, applied: 3, pending: 0, failed: 0, offline: 0 }, { paused: 0, running: 0 }, 'success'],
    ['all applied, a rollout still running', { total: 3, applied: 3, pending: 0, failed: 0, offline: 0 }, { paused: 0, running: 1 }, 'pending'],
    ['offline devices do not hold it pending', { total: 4, applied: 3, pending: 0, failed: 0, offline: 1 }, { paused: 0, running: 0 }, 'success'],
    ['every device offline', { total: 2, applied: 0, pending: 0, failed: 0, offline: 2 }, { paused: 0, running: 0 }, 'pending'],
    ['one failed', { total: 3, applied: 1, pending: 1, failed: 1, offline: 0 }, { paused: 0, running: 0 }, 'failure'],
    ['a paused rollout', { total: 3, applied: 3, pending: 0, failed: 0, offline: 0 }, { paused: 1, running: 0 }, 'failure'],
    ['no devices at all', { total: 0, applied: 0, pending: 0, failed: 0, offline: 0 }, { paused: 0, running: 0 }, 'success'],
  ];
  for (const [name, counts, rollouts, want] of table) assert.equal(commitState(counts, rollouts), want, name);
});

test('descriptions name failed devices and fit in 140 characters', () => {
  const c = (applied: number, total: number, failed = 0, offline = 0) => ({ total, applied, pending: total - applied - failed - offline, failed, offline });
  const many = Array.from({ length: 60 }, (_, i) => `device-${String(i).padStart(3, '0')}`);
  const table: [string, string, number?][] = [
    [describeOutcome(c(12, 14, 1), ['dev-3'], [], []), '12/14 applied, 1 failed: dev-3'],
    [describeOutcome(c(3, 3), [], [], []), '3/3 applied'],
    [describeOutcome(c(2, 5, 0, 1), [], [], ['command:clean-tmp']), '2/5 applied, 1 offline, rollout command:clean-tmp running'],
    [describeOutcome(c(1, 3, 1), ['dev-2'], ['command:x'], []), '1/3 applied, 1 failed: dev-2, rollout command:x paused'],
  ];
  for (const [got, want] of table) assert.equal(got, want);
  const long = describeOutcome(c(0, 60, 60), many, ['command:x'], []);
  assert.ok(long.length <= MAX_DESCRIPTION, long);
  assert.match(long, /^0\/60 applied, 60 failed: device-000, device-001, .* \+\d+ more, rollout command:x paused$/);
});

test('revisionOutcome: counts, failed devices in order, paused rollouts name their failing devices', () => {
  const rollouts: RolloutOutcome[] = [
    { key: 'command:probe', state: 'paused', failing: ['dev-3'] },
    { key: 'package:hello', state: 'done', failing: [] },
  ];
  const o = revisionOutcome(rows({ 'dev-1': 'applied', 'dev-3': 'failed', 'dev-2': 'applied', 'dev-4': 'pending' }), rollouts);
  assert.deepEqual(o.counts, { total: 4, applied: 2, pending: 1, failed: 1, offline: 0 });
  assert.deepEqual(o.failed, [{ id: 'dev-3', reason: 'CommandFailed', message: 'command on dev-3 failed' }]);
  assert.deepEqual(o.pausedRollouts, ['command:probe']);
  assert.equal(o.state, 'failure');
  assert.equal(o.description, '2/4 applied, 1 failed: dev-3, rollout command:probe paused');
  const recovered = revisionOutcome(rows({ 'dev-1': 'applied', 'dev-3': 'applied' }), [{ key: 'command:probe', state: 'paused', failing: ['dev-3'] }]);
  assert.equal(recovered.description, '2/2 applied, 1 failed: dev-3, rollout command:probe paused', 'a paused rollout still names the device it counts as failing');
});
