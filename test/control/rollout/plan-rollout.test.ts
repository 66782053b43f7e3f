import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  acknowledgeFailures,
  pauseByAdmin,
  planRollout,
  rolloutOrder,
  stepTarget,
  type DeviceOutcome,
  type RolloutSpecInput,
  type RolloutState,
} from '../../../control/rollout/plan-rollout.js';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `dev-${String(i + 1).padStart(3, '0')}`);
const spec = (over: Partial<RolloutSpecInput> = {}): RolloutSpecInput => ({ steps: [1, '10%', '100%'], maxFailures: 0, paused: false, ...over });
const state = (released: string[], over: Partial<RolloutState> = {}): RolloutState => ({ released, acknowledged: [], stepDoneAt: null, ...over });
const outcomes = (entries: Record<string, DeviceOutcome>): Map<string, DeviceOutcome> => new Map(Object.entries(entries));
const all = (list: string[], o: DeviceOutcome): Record<string, DeviceOutcome> => Object.fromEntries(list.map((id) => [id, o]));

describe('stepTarget', () => {
  const table: [number | string, number, number][] = [
    [1, 100, 1],
    [5, 3, 3],
    ['10%', 100, 10],
    ['10%', 5, 1],
    ['10%', 11, 2],
    ['33%', 3, 1],
    ['50%', 3, 2],
    ['100%', 7, 7],
    ['0.5%', 1000, 5],
    ['1%', 0, 0],
    [3, 0, 0],
  ];
  for (const [step, total, want] of table) {
    it(`${step} of ${total} is ${want}`, () => assert.equal(stepTarget(step as never, total), want));
  }
});

describe('rolloutOrder', () => {
  it('is stable, a permutation, and depends on the key', () => {
    const list = ids(50);
    const a = rolloutOrder('clean-tmp@abc', list);
    assert.deepEqual(rolloutOrder('clean-tmp@abc', [...list].reverse()), a);
    assert.deepEqual([...a].sort(), list);
    assert.notDeepEqual(rolloutOrder('clean-tmp@def', list), a);
  });
  it('does not always start with the first device', () => {
    const firsts = new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((k) => rolloutOrder(k, ids(20))[0]));
    assert.ok(firsts.size > 1, `first devices: ${[...firsts].join(',')}`);
  });
});

describe('planRollout', () => {
  const devs = ids(20);
  const cases: {
    name: string;
    rollout?: Partial<RolloutSpecInput>;
    devices?: string[];
    state: RolloutState | null;
    outcomes?: Record<string, DeviceOutcome>;
    now?: number;
    want: { released: string[] | number; newly?: string[]; step: number; state: string; pause?: string | null; failing?: string[]; waiting?: string[]; recheckAt?: number | null };
  }[] = [
    { name: 'first evaluation releases the first step', state: null, want: { released: ['dev-001'], newly: ['dev-001'], step: 0, state: 'running', waiting: ['dev-001'] } },
    { name: 'a pending first device holds the next step', state: state(['dev-001']), outcomes: { 'dev-001': 'pending' }, want: { released: ['dev-001'], newly: [], step: 0, state: 'running', waiting: ['dev-001'] } },
    { name: 'a running first device holds the next step', state: state(['dev-001']), outcomes: { 'dev-001': 'running' }, want: { released: 1, newly: [], step: 0, state: 'running' } },
    { name: 'success of step 1 releases 10% (2 of 20)', state: state(['dev-001']), outcomes: { 'dev-001': 'succeeded' }, want: { released: ['dev-001', 'dev-002'], newly: ['dev-002'], step: 1, state: 'running' } },
    {
      name: 'success of 10% releases everyone',
      state: state(['dev-001', 'dev-002']),
      outcomes: { 'dev-001': 'succeeded', 'dev-002': 'succeeded' },
      want: { released: 20, newly: devs.slice(2), step: 2, state: 'running' },
    },
    { name: 'all succeeded: done', state: state(devs), outcomes: all(devs, 'succeeded'), want: { released: 20, newly: [], step: 2, state: 'done' } },
    { name: 'one failure over maxFailures 0 pauses', state: state(['dev-001']), outcomes: { 'dev-001': 'failed' }, want: { released: ['dev-001'], newly: [], step: 0, state: 'paused', pause: 'failures', failing: ['dev-001'] } },
    { name: 'a timeout counts as a failure', state: state(['dev-001']), outcomes: { 'dev-001': 'timedOut' }, want: { released: 1, step: 0, state: 'paused', pause: 'failures', failing: ['dev-001'] } },
    {
      name: 'a failure within maxFailures lets the rollout continue',
      rollout: { maxFailures: 1 },
      state: state(['dev-001']),
      outcomes: { 'dev-001': 'failed' },
      want: { released: ['dev-001', 'dev-002'], newly: ['dev-002'], step: 1, state: 'running', failing: ['dev-001'] },
    },
    {
      name: 'two failures over maxFailures 1 pause even while others run',
      rollout: { maxFailures: 1 },
      devices: ids(30),
      state: state(['dev-001', 'dev-002', 'dev-003']),
      outcomes: { 'dev-001': 'failed', 'dev-002': 'timedOut', 'dev-003': 'running' },
      want: { released: 3, newly: [], step: 1, state: 'paused', pause: 'failures', failing: ['dev-001', 'dev-002'] },
    },
    {
      name: 'acknowledged failures no longer count',
      state: state(['dev-001'], { acknowledged: ['dev-001'] }),
      outcomes: { 'dev-001': 'failed' },
      want: { released: ['dev-001', 'dev-002'], newly: ['dev-002'], step: 1, state: 'running', failing: [] },
    },
    { name: 'paused in the spec releases nobody', rollout: { paused: true }, state: null, want: { released: [], newly: [], step: 0, state: 'paused', pause: 'spec' } },
    {
      name: 'paused in the spec keeps released devices released',
      rollout: { paused: true },
      state: state(['dev-001']),
      outcomes: { 'dev-001': 'succeeded' },
      want: { released: ['dev-001'], newly: [], step: 0, state: 'paused', pause: 'spec' },
    },
    {
      name: 'offline devices are skipped when releasing',
      state: null,
      outcomes: { 'dev-001': 'offline' },
      want: { released: ['dev-002'], newly: ['dev-002'], step: 0, state: 'running' },
    },
    {
      name: 'a released device gone offline without result holds the step',
      state: state(['dev-001']),
      outcomes: { 'dev-001': 'offline' },
      want: { released: 1, newly: [], step: 0, state: 'running', waiting: ['dev-001'] },
    },
    {
      name: 'a step partly released because of offline devices is filled without waiting for the interval',
      rollout: { steps: [1, '50%'], interval: 60_000 },
      devices: ids(6),
      state: state(['dev-001', 'dev-002', 'dev-003'].slice(0, 2), { stepDoneAt: 1000 }),
      outcomes: { 'dev-001': 'succeeded', 'dev-002': 'succeeded' },
      now: 2000,
      want: { released: ['dev-001', 'dev-002', 'dev-003'], newly: ['dev-003'], step: 1, state: 'running' },
    },
    {
      name: 'interval: the next step waits after the previous one finished',
      rollout: { interval: 60_000 },
      state: state(['dev-001']),
      outcomes: { 'dev-001': 'succeeded' },
      now: 10_000,
      want: { released: ['dev-001'], newly: [], step: 0, state: 'running', recheckAt: 70_000 },
    },
    {
      name: 'interval: the next step starts once it has passed',
      rollout: { interval: 60_000 },
      state: state(['dev-001'], { stepDoneAt: 10_000 }),
      outcomes: { 'dev-001': 'succeeded' },
      now: 70_000,
      want: { released: ['dev-001', 'dev-002'], newly: ['dev-002'], step: 1, state: 'running' },
    },
    {
      name: 'released devices stay released when no longer selected, and do not count',
      devices: devs.slice(1),
      state: state(['dev-001']),
      want: { released: ['dev-001', 'dev-002'], newly: ['dev-002'], step: 0, state: 'running' },
    },
    { name: 'no selected device: done', devices: [], state: null, want: { released: [], newly: [], step: 0, state: 'done' } },
    {
      name: 'a last step below 100% ends there',
      rollout: { steps: [1, '50%'] },
      devices: ids(4),
      state: state(['dev-001', 'dev-002']),
      outcomes: all(['dev-001', 'dev-002'], 'succeeded'),
      want: { released: 2, newly: [], step: 1, state: 'done' },
    },
    {
      name: 'counts larger than the fleet are capped',
      rollout: { steps: [50] },
      devices: ids(3),
      state: null,
      want: { released: 3, newly: ids(3), step: 0, state: 'running' },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const plan = planRollout({
        rollout: spec(c.rollout),
        devices: c.devices ?? devs,
        outcomes: outcomes(c.outcomes ?? {}),
        state: c.state,
        now: c.now ?? 1_000_000,
      });
      if (typeof c.want.released === 'number') assert.equal(plan.released.size, c.want.released);
      else assert.deepEqual([...plan.released].sort(), [...c.want.released].sort());
      if (c.want.newly) assert.deepEqual(plan.newlyReleased, c.want.newly);
      assert.equal(plan.step, c.want.step, 'step');
      assert.equal(plan.state, c.want.state, 'state');
      if (c.want.pause !== undefined) assert.equal(plan.pauseReason, c.want.pause);
      if (c.want.failing) assert.deepEqual(plan.failing, c.want.failing);
      if (c.want.waiting) assert.deepEqual(plan.waiting, c.want.waiting);
      if (c.want.recheckAt !== undefined) assert.equal(plan.recheckAt, c.want.recheckAt);
      // Monotonic: everything persisted before is still released and persisted.
      for (const id of c.state?.released ?? []) {
        assert.ok(plan.released.has(id));
        assert.ok(plan.next.released.includes(id));
      }
      assert.deepEqual(new Set(plan.next.released), new Set(plan.released));
    });
  }

  it('drives a whole rollout to done, one evaluation per report, in order', () => {
    const order = rolloutOrder('k', ids(30));
    let st: RolloutState | null = null;
    const seen = new Map<string, DeviceOutcome>();
    const sizes: number[] = [];
    for (let round = 0; round < 10; round++) {
      const plan = planRollout({ rollout: spec(), devices: order, outcomes: seen, state: st, now: round });
      st = plan.next;
      if (plan.state === 'done') break;
      sizes.push(plan.released.size);
      for (const id of plan.released) seen.set(id, 'succeeded');
    }
    assert.deepEqual(sizes, [1, 3, 30]);
    assert.deepEqual(st!.released, order);
  });

  it('a paused rollout resumes when the failures are acknowledged', () => {
    const first = planRollout({ rollout: spec(), devices: devs, outcomes: outcomes({ 'dev-001': 'failed' }), state: state(['dev-001']), now: 0 });
    assert.equal(first.state, 'paused');
    const resumed = acknowledgeFailures(first.next, first.failing);
    const again = planRollout({ rollout: spec(), devices: devs, outcomes: outcomes({ 'dev-001': 'failed' }), state: resumed, now: 1 });
    assert.equal(again.state, 'running');
    assert.deepEqual(again.newlyReleased, ['dev-002']);
    // A new failure pauses it again.
    const later = planRollout({ rollout: spec(), devices: devs, outcomes: outcomes({ 'dev-001': 'failed', 'dev-002': 'failed' }), state: again.next, now: 2 });
    assert.equal(later.state, 'paused');
    assert.deepEqual(later.failing, ['dev-002']);
  });

  it('an admin pause holds the next step (released devices keep theirs) until a resume', () => {
    const paused = planRollout({ rollout: spec(), devices: devs, outcomes: outcomes({ 'dev-001': 'succeeded' }), state: pauseByAdmin(state(['dev-001'])), now: 0 });
    assert.equal(paused.state, 'paused');
    assert.equal(paused.pauseReason, 'admin');
    assert.deepEqual(paused.newlyReleased, []);
    assert.deepEqual([...paused.released], ['dev-001']);
    assert.equal(paused.next.pausedByAdmin, true);
    const still = planRollout({ rollout: spec(), devices: devs, outcomes: outcomes({ 'dev-001': 'succeeded' }), state: paused.next, now: 1 });
    assert.equal(still.pauseReason, 'admin');
    const resumed = planRollout({ rollout: spec(), devices: devs, outcomes: outcomes({ 'dev-001': 'succeeded' }), state: acknowledgeFailures(still.next, still.failing), now: 2 });
    assert.equal(resumed.state, 'running');
    assert.deepEqual(resumed.newlyReleased, ['dev-002']);
    assert.equal(resumed.next.pausedByAdmin, undefined);
  });

  it('stays paused when a failed device recovers, until it is resumed', () => {
    const paused = planRollout({ rollout: spec(), devices: devs, outcomes: outcomes({ 'dev-001': 'failed' }), state: state(['dev-001']), now: 0 });
    assert.equal(paused.next.pausedByFailures, true);
    const recovered = planRollout({ rollout: spec(), devices: devs, outcomes: outcomes({ 'dev-001': 'succeeded' }), state: paused.next, now: 1 });
    assert.equal(recovered.state, 'paused');
    assert.deepEqual(recovered.newlyReleased, []);
    const resumed = planRollout({ rollout: spec(), devices: devs, outcomes: outcomes({ 'dev-001': 'succeeded' }), state: acknowledgeFailures(recovered.next, recovered.failing), now: 2 });
    assert.equal(resumed.state, 'running');
    assert.deepEqual(resumed.newlyReleased, ['dev-002']);
  });

  it('orders 100,000 devices by hash in a stable way', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => `d${i}`);
    const a = rolloutOrder('key', many);
    assert.equal(new Set(a).size, many.length);
    assert.deepEqual(rolloutOrder('key', [...many].reverse()).slice(0, 50), a.slice(0, 50));
  });

  it('accepts a function for outcomes', () => {
    const plan = planRollout({ rollout: spec(), devices: devs, outcomes: (id) => (id === 'dev-001' ? 'succeeded' : undefined), state: state(['dev-001']), now: 0 });
    assert.deepEqual(plan.newlyReleased, ['dev-002']);
  });
});
