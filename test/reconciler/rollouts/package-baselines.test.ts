import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CompiledFleet } from '../../../specs/resolve/compile-fleet.js';
import type { DesiredPackage } from '../../../specs/wire/desired.js';
import { PackageBaselines } from '../../../reconciler/rollouts/package-baselines.js';
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
