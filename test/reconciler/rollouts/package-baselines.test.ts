import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompiledFleet } from '../../../specs/resolve/compile-fleet.js';
import type { DesiredPackage } from '../../../specs/wire/desired.js';
import { PackageBaselines, slotBaseline, withBaseline, type BaselineSlot } from '../../../reconciler/rollouts/package-baselines.js';
import type { Baseline, RolloutStore } from '../../../reconciler/rollouts/rollout-store.js';

const pkg = (version: string, state: DesiredPackage['state'] = 'started'): DesiredPackage =>
  ({ name: 'app', version, artifact: { url: `http://127.0.0.1:1/app-${version}.tgz`, sha256: version.repeat(64).slice(0, 64) }, state }) as DesiredPackage;

const fleet = (pinned: string[] = []): CompiledFleet =>
  ({
    packages: [{ name: 'app', spec: { rollout: { steps: [1, '100%'], maxFailures: 0, paused: false } } }],
    perDevice: new Map(pinned.map((id) => [id, { pinned: new Map([['app', {}]]), extra: [] }])),
  }) as unknown as CompiledFleet;

function baselines(initial?: DesiredPackage): { b: PackageBaselines; writes: string[] } {
  const writes: string[] = [];
  const map = new Map<string, Map<string, Baseline>>();
  if (initial) map.set('d1', new Map([['app', { identity: `app@${initial.version}#${initial.artifact.sha256!.slice(0, 12)}`, value: initial }]]));
  const store = { putBaseline: (id: string, name: string, b: Baseline) => writes.push(`${id}/${name}=${b.value.version}:${b.value.state}`) } as unknown as RolloutStore;
  return { b: new PackageBaselines(map, store), writes };
}

describe('PackageBaselines.gate', () => {
  // [name, baseline before, the package resolved, released?, pinned?, version served, writes]
  const table: [string, DesiredPackage | undefined, DesiredPackage, boolean, boolean, string, string[]][] = [
    ['a device new to the package gets it at once (and it becomes its baseline)', undefined, pkg('2.0'), false, false, '2.0', ['d1/app=2.0:started']],
    ['a new revision with the same package (another object, same content): served, nothing written', pkg('1.0'), pkg('1.0'), false, false, '1.0', []],
    ['same version, another content (state): served and written', pkg('1.0'), pkg('1.0', 'stopped'), false, false, '1.0', ['d1/app=1.0:stopped']],
    ['a new version not released to the device: its baseline', pkg('1.0'), pkg('2.0'), false, false, '1.0', []],
    ['a new version released to the device: served and written', pkg('1.0'), pkg('2.0'), true, false, '2.0', ['d1/app=2.0:started']],
    ['a pinned device: its pin, nothing written', pkg('1.0'), pkg('3.0'), false, true, '3.0', []],
  ];
  for (const [name, before, p, released, pinned, want, writes] of table) {
    it(name, () => {
      const s = baselines(before);
      const got = s.b.gate(fleet(pinned ? ['d1'] : []), 'd1', p, () => released);
      assert.equal(got.version, want);
      assert.deepEqual(s.writes, writes);
    });
  }

  it('compares content, not objects, across revisions: one write per real change', () => {
    const s = baselines();
    const isReleased = (): boolean => false;
    for (const p of [pkg('1.0'), pkg('1.0'), pkg('1.0', 'stopped'), pkg('1.0', 'stopped'), pkg('1.0')]) s.b.gate(fleet(), 'd1', p, isReleased);
    assert.deepEqual(s.writes, ['d1/app=1.0:started', 'd1/app=1.0:stopped', 'd1/app=1.0:started']);
  });
});

const other = (version: string): DesiredPackage => ({ ...pkg(version), name: 'db' }) as DesiredPackage;
const b = (p: DesiredPackage): Baseline => ({ identity: `${p.name}@${p.version}`, value: p });

describe('baselines kept on the device slot', () => {
  const a1 = b(pkg('1.0'));
  const a2 = b(pkg('2.0'));
  const d1 = b(other('1.0'));
  const d2 = b(other('2.0'));
  // [name, held before, baseline set, held after]
  const table: [string, Baseline | readonly Baseline[] | null, Baseline, Baseline | readonly Baseline[]][] = [
    ['none: the baseline itself', null, a1, a1],
    ['the same package: replaced', a1, a2, a2],
    ['another package: both, in an array', a1, d1, [a1, d1]],
    ['in an array: replaced in place', [a1, d1], d2, [a1, d2]],
    ['in an array, a new package: appended', [d1], a1, [d1, a1]],
  ];
  for (const [name, before, set, after] of table) {
    it(name, () => {
      const got = withBaseline(before, set);
      assert.deepEqual(got, after);
      assert.equal(slotBaseline(got, set.value.name), set);
      if (Array.isArray(before)) assert.notEqual(got, before); // never changed in place
    });
  }

  it('finds nothing for a package the slot has no baseline of', () => {
    assert.equal(slotBaseline(null, 'app'), undefined);
    assert.equal(slotBaseline(d1, 'app'), undefined);
    assert.equal(slotBaseline([d1, d2], 'app'), undefined);
  });

  it('keeps a device baseline on its slot, not in a map, and moves a map entry to a slot that appears', () => {
    const slots = new Map<string, BaselineSlot>();
    const writes: string[] = [];
    const store = { putBaseline: (id: string, name: string, x: Baseline) => writes.push(`${id}/${name}=${x.value.version}`) } as unknown as RolloutStore;
    const initial = new Map([['d1', new Map([['app', { identity: `app@1.0#${pkg('1.0').artifact.sha256!.slice(0, 12)}`, value: pkg('1.0') }]])]]);
    const s = new PackageBaselines(initial, store, (id) => slots.get(id));
    // d1 has no slot yet: kept in the map, and still gated by it
    assert.equal(s.gate(fleet(), 'd1', pkg('2.0'), () => false).version, '1.0');
    const slot: BaselineSlot = { baselines: null };
    slots.set('d1', slot);
    assert.equal(s.identityOf('d1', 'app'), initial.get('d1')!.get('app')!.identity);
    // released: the new baseline goes on the slot
    assert.equal(s.gate(fleet(), 'd1', pkg('2.0'), () => true).version, '2.0');
    assert.equal((slot.baselines as Baseline).value.version, '2.0');
    assert.equal(s.gate(fleet(), 'd1', pkg('3.0'), () => false).version, '2.0');
    // a device new to the package, with a slot
    const slot2: BaselineSlot = { baselines: null };
    slots.set('d2', slot2);
    assert.equal(s.gate(fleet(), 'd2', pkg('3.0'), () => false).version, '3.0');
    assert.equal((slot2.baselines as Baseline).value.version, '3.0');
    // another meta's row for a device with a slot
    assert.deepEqual(s.applyRemote([{ deviceId: 'd2', package: 'app', identity: 'app@4.0', value: pkg('4.0') }]), ['d2']);
    assert.equal(s.identityOf('d2', 'app'), 'app@4.0');
    assert.deepEqual(writes, ['d1/app=2.0', 'd2/app=3.0']);
  });
});
