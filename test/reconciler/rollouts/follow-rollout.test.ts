// When a meta may call a rollout done. A meta that has not caught up yet (it has not heard of the
// devices the leader's state released: its device list still empty, or partial; or it shows a
// decision not committed yet) must not present the rollout as done: that showed, once, a surviving
// meta's rollout `done` with 0 devices released.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceOutcome, RolloutPlan, RolloutState } from '../../../control/rollout/plan-rollout.js';
import { planRollout } from '../../../control/rollout/plan-rollout.js';
import type { ActiveRollout } from '../../../reconciler/rollouts/active-rollout.js';
import { followRollout } from '../../../reconciler/rollouts/follow-rollout.js';
import { shownPlan } from '../../../reconciler/rollouts/rollout-decisions.js';

const state = (released: string[]): RolloutState => ({ released, acknowledged: [], stepDoneAt: null });
const rollout = (s: RolloutState): ActiveRollout => ({
  subject: { kind: 'command', key: 'command:probe@1', name: 'probe', identity: 'probe@1', perDeviceIdentity: false, rollout: { steps: [1, 2, '100%'], maxFailures: 0, paused: false }, selects: () => true },
  persisted: { key: 'command:probe@1', state: s, specPaused: false, revision: 'r1', updatedAt: 0 },
  released: new Set(s.released), dirty: true, resultsMoved: false, plan: null, order: null, orderVersion: 0, seededVersion: -1, ackPending: false, pausePending: false,
  tally: null, reported: new Set(),
});
/** What GET /v1/rollouts shows of a plan: its state and the released devices among the selected ones. */
const view = (plan: RolloutPlan | null, order: readonly string[]) => ({ state: plan?.state ?? 'running', released: [...(plan?.released ?? [])].filter((id) => order.includes(id)).length });

const ALL = ['d1', 'd2', 'd3', 'd4'];
const succeeded = (): DeviceOutcome => 'succeeded';

describe("a follower's plan: done only when this meta knows every device the leader released", () => {
  const table: { name: string; released: string[]; known: string[]; selected: string[]; want: { state: string; released: number } }[] = [
    { name: 'every released device known and succeeded: done', released: ALL, known: ALL, selected: ALL, want: { state: 'done', released: 4 } },
    { name: 'the leader released all four, this meta knows no device yet: not done with 0 released', released: ALL, known: [], selected: [], want: { state: 'running', released: 0 } },
    { name: 'the leader released two, this meta knows one of them: not done', released: ['d1', 'd2'], known: ['d1'], selected: ['d1'], want: { state: 'running', released: 1 } },
    { name: 'nothing released and no device selected: done (nothing to do)', released: [], known: [], selected: [], want: { state: 'done', released: 0 } },
    { name: 'the released device is known but no longer selected: done', released: ['d1'], known: ['d1'], selected: [], want: { state: 'done', released: 0 } },
  ];
  for (const c of table) {
    it(c.name, () => {
      const r = rollout(state(c.released));
      followRollout(r, c.selected, succeeded, 1000, (id) => c.known.includes(id));
      assert.deepEqual(view(r.plan, c.selected), c.want);
    });
  }
});

describe('shownPlan: the plan a meta shows and acts on', () => {
  const order = ALL;
  const plan = (released: string[]) => planRollout({ rollout: { steps: [1, 2, '100%'], maxFailures: 0, paused: false }, devices: order, outcomes: succeeded, state: state(released), now: 1000 });
  const table: { name: string; plan: RolloutPlan; committed: string[]; known: string[]; want: string }[] = [
    { name: 'done, everything committed and known', plan: plan(ALL), committed: ALL, known: ALL, want: 'done' },
    // A package rollout seeds every device at a new revision: the decision is done, but until it is
    // committed nothing is released here (the view showed done with 0 released meanwhile).
    { name: 'done by a decision not committed yet: running', plan: plan(ALL), committed: [], known: ALL, want: 'running' },
    { name: 'done, a released device unknown here: running', plan: plan(ALL), committed: ALL, known: ['d1', 'd2', 'd3'], want: 'running' },
    { name: 'running stays running', plan: plan(['d1']), committed: ['d1'], known: ALL, want: 'running' },
  ];
  for (const c of table) {
    it(c.name, () => {
      const shown = shownPlan(c.plan, new Set(c.committed), (id) => c.known.includes(id));
      assert.equal(shown.state, c.want);
      assert.deepEqual([...shown.released].sort(), [...c.committed].sort(), 'shows what is committed as released');
    });
  }
});
