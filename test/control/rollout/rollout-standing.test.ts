// The standing of a rollout's released devices, counted at once and kept one device at a time: the
// kept tally must always equal a fresh count (what planRollout did over every device at every
// evaluation), and a plan made from it must be the plan made from the devices.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planRollout, rolloutOrder, type DeviceOutcome, type RolloutState } from '../../../control/rollout/plan-rollout.js';
import { rolloutStanding, standingClass, StandingTally, type StandingClass } from '../../../control/rollout/rollout-standing.js';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `dev-${String(i + 1).padStart(3, '0')}`);

describe('standingClass', () => {
  const table: [DeviceOutcome | undefined, boolean, StandingClass][] = [
    ['succeeded', false, 'succeeded'],
    ['succeeded', true, 'succeeded'],
    ['failed', false, 'failing'],
    ['timedOut', false, 'failing'],
    ['failed', true, 'acknowledged'],
    ['timedOut', true, 'acknowledged'],
    ['pending', false, 'waiting'],
    ['running', false, 'waiting'],
    ['offline', false, 'waiting'],
    ['notReleased', false, 'waiting'],
    [undefined, false, 'waiting'],
    [undefined, true, 'waiting'],
  ];
  for (const [outcome, acked, want] of table) it(`${outcome ?? 'no outcome'}${acked ? ', acknowledged' : ''}: ${want}`, () => assert.equal(standingClass(outcome, acked), want));
});

describe('rolloutStanding', () => {
  const devices = ['a', 'b', 'c', 'd', 'e'];
  const table: { name: string; released: string[]; acked?: string[]; outcomes: Record<string, DeviceOutcome>; want: { releasedSelected: number; succeeded: number; failing: string[]; waiting: string[] } }[] = [
    { name: 'nothing released', released: [], outcomes: { a: 'succeeded' }, want: { releasedSelected: 0, succeeded: 0, failing: [], waiting: [] } },
    { name: 'released devices by outcome, in the given order', released: ['e', 'a', 'c'], outcomes: { a: 'failed', c: 'succeeded' }, want: { releasedSelected: 3, succeeded: 1, failing: ['a'], waiting: ['e'] } },
    { name: 'an acknowledged failure is neither failing nor waiting', released: ['a', 'b'], acked: ['a'], outcomes: { a: 'failed', b: 'timedOut' }, want: { releasedSelected: 2, succeeded: 0, failing: ['b'], waiting: [] } },
    { name: 'released but no longer selected: not counted', released: ['a', 'zz'], outcomes: { zz: 'failed' }, want: { releasedSelected: 1, succeeded: 0, failing: [], waiting: ['a'] } },
  ];
  for (const c of table) {
    it(c.name, () => assert.deepEqual(rolloutStanding(devices, new Set(c.released), new Set(c.acked ?? []), (id) => c.outcomes[id]), c.want));
  }
});

describe('StandingTally', () => {
  const KEY = 'command:probe@1';
  const order = rolloutOrder(KEY, ids(12));

  /** Kept by the operations, then compared with a fresh count. */
  const table: { name: string; released: string[]; acked?: string[]; ops: ['add' | 'change', string, DeviceOutcome | undefined][] }[] = [
    { name: 'no operation: the count', released: order.slice(0, 4), ops: [] },
    { name: 'a waiting device succeeds', released: order.slice(0, 3), ops: [['change', order[1]!, 'succeeded']] },
    { name: 'a succeeded device fails, then recovers', released: order.slice(0, 3), ops: [['change', order[0]!, 'succeeded'], ['change', order[0]!, 'failed'], ['change', order[0]!, 'succeeded']] },
    { name: 'failing devices stay in rollout order whatever order they fail in', released: order.slice(0, 6), ops: [['change', order[5]!, 'failed'], ['change', order[0]!, 'timedOut'], ['change', order[3]!, 'failed']] },
    { name: 'an acknowledged device failing again stays acknowledged', released: order.slice(0, 3), acked: [order[2]!], ops: [['change', order[2]!, 'succeeded'], ['change', order[2]!, 'failed']] },
    { name: 'newly released devices are counted in', released: order.slice(0, 2), ops: [['add', order[2]!, undefined], ['add', order[3]!, 'succeeded'], ['change', order[2]!, 'running']] },
    { name: 'the same outcome again changes nothing', released: order.slice(0, 2), ops: [['change', order[0]!, 'pending'], ['change', order[0]!, 'offline']] },
  ];
  for (const c of table) {
    it(c.name, () => {
      const outcomes = new Map<string, DeviceOutcome | undefined>();
      const released = new Set(c.released);
      const acked = new Set(c.acked ?? []);
      const tally = StandingTally.count(KEY, order, released, acked, (id) => outcomes.get(id));
      for (const [op, id, o] of c.ops) {
        outcomes.set(id, o);
        if (op === 'add') {
          released.add(id);
          tally.add(id, o);
        } else tally.change(id, o);
      }
      const fresh = rolloutStanding(order, released, acked, (id) => outcomes.get(id));
      const kept = tally.standing();
      assert.deepEqual({ ...kept, waiting: [...kept.waiting].sort() }, { ...fresh, waiting: [...fresh.waiting].sort() });
    });
  }

  it('returns the same standing object until something changes', () => {
    const tally = StandingTally.count(KEY, order, new Set(order.slice(0, 3)), new Set(), () => undefined);
    const a = tally.standing();
    assert.equal(tally.standing(), a);
    assert.equal(tally.change(order[0]!, 'pending'), false);
    assert.equal(tally.standing(), a);
    assert.equal(tally.change(order[0]!, 'succeeded'), true);
    assert.notEqual(tally.standing(), a);
  });

  it('equals a fresh count after 2,000 random reports and releases', () => {
    let seed = 17;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const all = rolloutOrder(KEY, ids(60));
    const released = new Set(all.slice(0, 10));
    const acked = new Set([all[3]!, all[7]!]);
    const outcomes = new Map<string, DeviceOutcome | undefined>();
    const kinds: (DeviceOutcome | undefined)[] = [undefined, 'pending', 'running', 'succeeded', 'failed', 'timedOut', 'offline'];
    const tally = StandingTally.count(KEY, all, released, acked, (id) => outcomes.get(id));
    for (let i = 0; i < 2000; i++) {
      const id = all[random(all.length)]!;
      const o = kinds[random(kinds.length)];
      outcomes.set(id, o);
      if (released.has(id)) tally.change(id, o);
      else if (random(4) === 0) {
        released.add(id);
        tally.add(id, o);
      }
      if (i % 100 === 0 || i === 1999) {
        const fresh = rolloutStanding(all, released, acked, (x) => outcomes.get(x));
        const kept = tally.standing();
        assert.deepEqual(kept.failing, fresh.failing, `failing after ${i + 1} reports`);
        assert.deepEqual([...kept.waiting].sort(), [...fresh.waiting].sort(), `waiting after ${i + 1} reports`);
        assert.equal(kept.succeeded, fresh.succeeded);
        assert.equal(kept.releasedSelected, fresh.releasedSelected);
      }
    }
  });
});

describe('planRollout with a standing', () => {
  const devs = rolloutOrder('k', ids(20));
  const spec = { steps: [1, '25%', '100%'] as never, maxFailures: 1, paused: false };
  const state = (released: string[], over: Partial<RolloutState> = {}): RolloutState => ({ released, acknowledged: [], stepDoneAt: null, ...over });
  const table: { name: string; state: RolloutState; outcomes: Record<string, DeviceOutcome> }[] = [
    { name: 'the first step waiting', state: state(devs.slice(0, 1)), outcomes: {} },
    { name: 'the first step done: the next released', state: state(devs.slice(0, 1)), outcomes: { [devs[0]!]: 'succeeded' } },
    { name: 'one failure within maxFailures, offline devices skipped', state: state(devs.slice(0, 1)), outcomes: { [devs[0]!]: 'failed', [devs[1]!]: 'offline' } },
    { name: 'two failures: paused', state: state(devs.slice(0, 5)), outcomes: { [devs[0]!]: 'failed', [devs[4]!]: 'timedOut', [devs[1]!]: 'succeeded', [devs[2]!]: 'succeeded', [devs[3]!]: 'succeeded' } },
    { name: 'everyone succeeded: done', state: state(devs), outcomes: Object.fromEntries(devs.map((id) => [id, 'succeeded'])) },
  ];
  for (const c of table) {
    it(`${c.name}: the same plan as from the devices`, () => {
      const outcomeOf = (id: string): DeviceOutcome | undefined => c.outcomes[id];
      const released = new Set(c.state.released);
      const fromDevices = planRollout({ rollout: spec, devices: devs, outcomes: outcomeOf, state: c.state, now: 5 });
      const standing = StandingTally.count('k', devs, released, new Set(), outcomeOf).standing();
      const fromStanding = planRollout({ rollout: spec, devices: devs, outcomes: outcomeOf, state: c.state, now: 5, releasedSet: released, standing });
      assert.deepEqual({ ...fromStanding, released: [...fromStanding.released] }, { ...fromDevices, released: [...fromDevices.released] });
    });
  }
});
