import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyPackage, type LocalPackage, type LocalState } from '../../agent/local-state.js';
import { isConverged, planSteps, type Step } from '../../agent/plan-steps.js';
import type { DesiredDocument, DesiredPackage } from '../../specs/wire/desired.js';

const NOW = 1_700_000_000_000;
const SHA = (v: string) => v.replace(/[^0-9]/g, '').padEnd(64, 'a');

function pkg(version: string, over: Partial<DesiredPackage> = {}): DesiredPackage {
  return {
    name: 'app',
    version,
    artifact: { url: `http://x/app-${version}.tar.gz`, sha256: SHA(version), via: 'upstream' },
    state: 'started',
    control: { script: 'control', timeoutMs: 1000 },
    run: null,
    pidFile: null,
    keepVersions: 2,
    ...over,
  };
}
const RT = { control: { script: 'control', timeoutMs: 1000 }, run: null, pidFile: null };

function local(over: Partial<LocalPackage> = {}, name = 'app'): LocalState {
  return { format: 1, appliedEtag: null, packages: { [name]: { ...emptyPackage(name), runtime: RT, ...over } } };
}
const none: LocalState = { format: 1, appliedEtag: null, packages: {} };
const doc = (...packages: DesiredPackage[]): DesiredDocument => ({ packages, commands: [], heartbeatMs: 60_000 });
const failure = (version: string, retryAt: number, rolledBack = false) => ({
  version, artifactKey: `sha256:${SHA(version)}`, step: 'start', code: 'START_FAILED', error: 'boom', outputTail: null, at: new Date(NOW).toISOString(), attempts: 1, retryAt, rolledBack,
});

/** Steps as short strings, easy to read in a table. */
function brief(steps: Step[]): string[] {
  return steps.map((s) => {
    switch (s.kind) {
      case 'gc': return `gc ${s.name} ${s.versions.join(',')}`;
      case 'remove': return `remove ${s.name}`;
      case 'switch': return `switch ${s.name} ${s.from ?? '-'}->${s.version}`;
      case 'check': return `check ${s.name} ${s.version} ${s.expect}`;
      default: return `${s.kind} ${s.name} ${s.version}`;
    }
  });
}

const cases: { name: string; desired: DesiredDocument; local: LocalState; want: string[] }[] = [
  {
    name: 'install on an empty device',
    desired: doc(pkg('1.0')),
    local: none,
    want: ['download app 1.0', 'verify app 1.0', 'unpack app 1.0', 'switch app -->1.0', 'start app 1.0', 'check app 1.0 started'],
  },
  {
    name: 'install a stopped package: unpacked and switched, not started',
    desired: doc(pkg('1.0', { state: 'stopped' })),
    local: none,
    want: ['download app 1.0', 'verify app 1.0', 'unpack app 1.0', 'switch app -->1.0'],
  },
  {
    name: 'upgrade: new version downloaded before the old one stops',
    desired: doc(pkg('1.1')),
    local: local({ current: '1.0', installed: ['1.0'], running: true }),
    want: ['download app 1.1', 'verify app 1.1', 'unpack app 1.1', 'stop app 1.0', 'switch app 1.0->1.1', 'start app 1.1', 'check app 1.1 started'],
  },
  {
    name: 'downgrade to a version still installed: no download',
    desired: doc(pkg('1.0')),
    local: local({ current: '1.1', installed: ['1.0', '1.1'], running: true }),
    want: ['stop app 1.1', 'switch app 1.1->1.0', 'start app 1.0', 'check app 1.0 started'],
  },
  {
    name: 'upgrade while stopped: no stop step',
    desired: doc(pkg('1.1')),
    local: local({ current: '1.0', installed: ['1.0'], running: false }),
    want: ['download app 1.1', 'verify app 1.1', 'unpack app 1.1', 'switch app 1.0->1.1', 'start app 1.1', 'check app 1.1 started'],
  },
  {
    name: 'stop a running package',
    desired: doc(pkg('1.0', { state: 'stopped' })),
    local: local({ current: '1.0', installed: ['1.0'], running: true }),
    want: ['stop app 1.0'],
  },
  {
    name: 'start a stopped package',
    desired: doc(pkg('1.0')),
    local: local({ current: '1.0', installed: ['1.0'], running: false }),
    want: ['start app 1.0', 'check app 1.0 started'],
  },
  {
    name: 'unchanged: nothing to do',
    desired: doc(pkg('1.0')),
    local: local({ current: '1.0', installed: ['1.0'], running: true }),
    want: [],
  },
  {
    name: 'unknown run state (after a restart): probe first',
    desired: doc(pkg('1.0')),
    local: local({ current: '1.0', installed: ['1.0'], running: null }),
    want: ['check app 1.0 probe'],
  },
  {
    name: 'state absent: stop and remove',
    desired: doc(pkg('1.0', { state: 'absent' })),
    local: local({ current: '1.0', installed: ['1.0'], running: true }),
    want: ['stop app 1.0', 'remove app'],
  },
  {
    name: 'absent and never installed: nothing',
    desired: doc(pkg('1.0', { state: 'absent' })),
    local: none,
    want: [],
  },
  {
    name: 'pruned: a package that left the document is stopped and removed, before the others',
    desired: doc(pkg('1.0', { name: 'other' })),
    local: local({ current: '2.0', installed: ['2.0'], running: true }, 'zzz'),
    want: ['stop zzz 2.0', 'remove zzz', 'download other 1.0', 'verify other 1.0', 'unpack other 1.0', 'switch other -->1.0', 'start other 1.0', 'check other 1.0 started'],
  },
  {
    name: 'pruned while stopped: only removed',
    desired: doc(),
    local: local({ current: '2.0', installed: ['2.0'], running: false }),
    want: ['remove app'],
  },
  {
    name: 'gc: old versions beyond keepVersions are deleted, the previous one kept',
    desired: doc(pkg('1.3')),
    local: local({ current: '1.2', installed: ['1.0', '1.1', '1.2'], running: true }),
    want: ['download app 1.3', 'verify app 1.3', 'unpack app 1.3', 'stop app 1.2', 'switch app 1.2->1.3', 'start app 1.3', 'check app 1.3 started', 'gc app 1.0,1.1'],
  },
  {
    name: 'gc in steady state keeps keepVersions in total',
    desired: doc(pkg('1.2', { keepVersions: 1 })),
    local: local({ current: '1.2', installed: ['1.0', '1.1', '1.2'], running: true }),
    want: ['gc app 1.0,1.1'],
  },
  {
    name: 'a failed version is not retried before its retry time (no hot loop)',
    desired: doc(pkg('1.1')),
    local: local({ current: '1.0', installed: ['1.0', '1.1'], running: true, failure: failure('1.1', NOW + 30_000, true) }),
    want: [],
  },
  {
    name: 'a failed version is retried once its retry time passed',
    desired: doc(pkg('1.1')),
    local: local({ current: '1.0', installed: ['1.0', '1.1'], running: true, failure: failure('1.1', NOW - 1, true) }),
    want: ['stop app 1.0', 'switch app 1.0->1.1', 'start app 1.1', 'check app 1.1 started'],
  },
  {
    name: 'a failed first install (no previous version) is not restarted in a hot loop',
    desired: doc(pkg('1.0')),
    local: local({ current: '1.0', installed: ['1.0'], running: false, failure: failure('1.0', NOW + 30_000) }),
    want: [],
  },
  {
    name: 'a failure of another version does not block the new desired one',
    desired: doc(pkg('1.2')),
    local: local({ current: '1.0', installed: ['1.0', '1.1'], running: true, failure: failure('1.1', NOW + 30_000, true) }),
    want: ['download app 1.2', 'verify app 1.2', 'unpack app 1.2', 'stop app 1.0', 'switch app 1.0->1.2', 'start app 1.2', 'check app 1.2 started', 'gc app 1.1'],
  },
  {
    name: 'resume after a crash mid-download: the verified download is reused',
    desired: doc(pkg('1.1')),
    local: local({ current: '1.0', installed: ['1.0'], running: true, downloaded: { version: '1.1', artifactKey: `sha256:${SHA('1.1')}` } }),
    want: ['verify app 1.1', 'unpack app 1.1', 'stop app 1.0', 'switch app 1.0->1.1', 'start app 1.1', 'check app 1.1 started'],
  },
  {
    name: 'a download of a different artifact for that version is not reused',
    desired: doc(pkg('1.1')),
    local: local({ current: '1.0', installed: ['1.0'], running: true, downloaded: { version: '1.1', artifactKey: 'sha256:ffff' } }),
    want: ['download app 1.1', 'verify app 1.1', 'unpack app 1.1', 'stop app 1.0', 'switch app 1.0->1.1', 'start app 1.1', 'check app 1.1 started'],
  },
  {
    name: 'resume after a crash between stop and start: switch and start, no second stop',
    desired: doc(pkg('1.1')),
    local: local({ current: '1.0', installed: ['1.0', '1.1'], running: false }),
    want: ['switch app 1.0->1.1', 'start app 1.1', 'check app 1.1 started'],
  },
  {
    name: 'resume after a crash between switch and start: start, keeping the rollback target',
    desired: doc(pkg('1.1', { keepVersions: 1 })),
    local: local({ current: '1.1', installed: ['0.9', '1.0', '1.1'], running: false, pending: { from: '1.0', fromRuntime: RT, to: '1.1' } }),
    want: ['start app 1.1', 'check app 1.1 started', 'gc app 0.9'],
  },
  {
    name: 'resume after a crash mid-stop (state unknown): the old version is stopped again',
    desired: doc(pkg('1.1')),
    local: local({ current: '1.0', installed: ['1.0', '1.1'], running: null }),
    want: ['stop app 1.0', 'switch app 1.0->1.1', 'start app 1.1', 'check app 1.1 started'],
  },
  {
    name: 'same version, changed way to run it: restart',
    desired: doc(pkg('1.0', { control: { script: 'bin/ctl', timeoutMs: 1000 } })),
    local: local({ current: '1.0', installed: ['1.0'], running: true }),
    want: ['stop app 1.0', 'start app 1.0', 'check app 1.0 started'],
  },
];

describe('planSteps', () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(brief(planSteps(c.desired, c.local, { now: NOW })), c.want);
    });
  }

  it('stops the old version with the runtime it was started with', () => {
    const old = { control: { script: 'old-control', timeoutMs: 5 }, run: null, pidFile: 'x.pid' };
    const steps = planSteps(doc(pkg('2.0')), local({ current: '1.0', installed: ['1.0'], running: true, runtime: old }), { now: NOW });
    const stop = steps.find((s) => s.kind === 'stop');
    assert.ok(stop && stop.kind === 'stop');
    assert.deepEqual(stop.runtime, old);
  });

  it('is pure: the same input gives the same plan and is not modified', () => {
    const l = local({ current: '1.0', installed: ['1.0'], running: true });
    const before = JSON.stringify(l);
    const a = planSteps(doc(pkg('1.1')), l, { now: NOW });
    const b = planSteps(doc(pkg('1.1')), l, { now: NOW });
    assert.deepEqual(a, b);
    assert.equal(JSON.stringify(l), before);
  });
});

describe('isConverged', () => {
  it('is true only when no step is left and the desired version runs', () => {
    assert.equal(isConverged(doc(pkg('1.0')), local({ current: '1.0', installed: ['1.0'], running: true }), NOW), true);
    assert.equal(isConverged(doc(pkg('1.1')), local({ current: '1.0', installed: ['1.0'], running: true }), NOW), false);
    assert.equal(isConverged(doc(pkg('1.1')), local({ current: '1.0', installed: ['1.0', '1.1'], running: true, failure: failure('1.1', NOW + 1000, true) }), NOW), false);
    assert.equal(isConverged(doc(), none, NOW), true);
  });
});
