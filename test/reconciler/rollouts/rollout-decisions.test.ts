import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceOutcome, RolloutPlan, RolloutState } from '../../../control/rollout/plan-rollout.js';
import { decisionChanged, deviceOutcome, isSettled, newlyReleased, samePlan, seedReleases } from '../../../reconciler/rollouts/rollout-decisions.js';

const state = (over: Partial<RolloutState> = {}): RolloutState => ({ released: [], acknowledged: [], stepDoneAt: null, ...over });

describe('deviceOutcome', () => {
  const table: [string, DeviceOutcome | undefined, number | null, DeviceOutcome | undefined][] = [
    ['a reported outcome wins', 'succeeded', null, 'succeeded'],
    ['never seen, no report: offline', undefined, null, 'offline'],
    ['seen lately, no report: nothing yet', undefined, 950, undefined],
    ['seen too long ago: offline', undefined, 100, 'offline'],
    ['seen exactly at the limit: not yet offline', undefined, 500, undefined],
  ];
  for (const [name, reported, lastSeen, want] of table) it(name, () => assert.equal(deviceOutcome(reported, lastSeen, 1000, 500), want));
});

describe('isSettled', () => {
  const plan = (s: RolloutPlan['state'], pauseReason: RolloutPlan['pauseReason'] = null) => ({ state: s, pauseReason }) as RolloutPlan;
  const table: [string, RolloutPlan | null, boolean][] = [
    ['no plan yet', null, false],
    ['running', plan('running'), false],
    ['done', plan('done'), true],
    ['paused by failures', plan('paused', 'failures'), true],
    ['paused by the spec (a commit may release it)', plan('paused', 'spec'), false],
  ];
  for (const [name, p, want] of table) it(name, () => assert.equal(isSettled(p), want));
});

describe('decisionChanged', () => {
  const before = state({ released: ['a'], acknowledged: [], stepDoneAt: null });
  const table: [string, RolloutState, boolean][] = [
    ['the same', state({ released: ['a'] }), false],
    ['a device released', state({ released: ['a', 'b'] }), true],
    ['a failure acknowledged', state({ released: ['a'], acknowledged: ['a'] }), true],
    ['a step finished', state({ released: ['a'], stepDoneAt: 5 }), true],
    ['paused by failures', state({ released: ['a'], pausedByFailures: true }), true],
    ['pausedByFailures false is no pause', state({ released: ['a'], pausedByFailures: false }), false],
  ];
  for (const [name, next, want] of table) it(name, () => assert.equal(decisionChanged(before, next), want));
});

describe('seedReleases', () => {
  const baselines: Record<string, string> = { a: 'svc@2', b: 'svc@1', c: 'svc@1' };
  const table: [string, RolloutState, string[], string[]][] = [
    ['devices on this version or without the package are released', state(), ['a', 'b', 'c', 'd'], ['a', 'd']],
    ['released devices are kept, in order', state({ released: ['b'] }), ['a', 'b', 'c', 'd'], ['b', 'a', 'd']],
    ['nobody to add: the same state', state({ released: ['a'] }), ['a', 'b'], ['a']],
  ];
  for (const [name, s, order, want] of table) {
    it(name, () => {
      const next = seedReleases(s, order, 'svc@2', (id) => baselines[id]);
      assert.deepEqual(next.released, want);
      if (want.length === s.released.length) assert.equal(next, s);
    });
  }
});

describe('newlyReleased', () => {
  const table: [string, string[], string[], string[]][] = [
    ['nothing new', ['a'], ['a'], []],
    ['new devices, in the shared order', ['a', 'c', 'b'], ['a'], ['c', 'b']],
    ['released here and not shared (kept, not woken)', ['a'], ['a', 'b'], []],
  ];
  for (const [name, shared, here, want] of table) it(name, () => assert.deepEqual(newlyReleased(shared, new Set(here)), want));
});

describe('samePlan', () => {
  const released = new Set(['a', 'b']);
  const next = state({ released: ['a', 'b'] });
  const plan = (over: Partial<RolloutPlan> = {}): RolloutPlan => ({
    released, newlyReleased: [], step: 1, targets: [1, 2, 4], state: 'running', pauseReason: null, failing: ['b'], waiting: ['a'], succeeded: 0, recheckAt: null, next, ...over,
  });
  const before = plan();
  const table: [string, RolloutPlan | null, RolloutPlan, boolean][] = [
    ['no plan before', null, before, false],
    ['the same values in new objects', before, plan({ failing: ['b'], waiting: ['a'], targets: [1, 2, 4] }), true],
    ['the same released devices in another set', before, plan({ released: new Set(['b', 'a']) }), true],
    ['another state', before, plan({ state: 'paused', pauseReason: 'failures' }), false],
    ['another step', before, plan({ step: 2 }), false],
    ['a device succeeded', before, plan({ succeeded: 1, waiting: [] }), false],
    ['another failing device', before, plan({ failing: ['a'] }), false],
    ['more devices waiting', before, plan({ waiting: ['a', 'c'] }), false],
    ['more devices selected (targets)', before, plan({ targets: [1, 3, 5] }), false],
    ['devices newly released', before, plan({ newlyReleased: ['c'], released: new Set(['a', 'b', 'c']) }), false],
    ['a step interval to wait for', before, plan({ recheckAt: 10 }), false],
    ['a step finished (persisted)', before, plan({ next: { ...next, stepDoneAt: 5 } }), false],
  ];
  for (const [name, a, b, want] of table) it(name, () => assert.equal(samePlan(a, b), want));
});
