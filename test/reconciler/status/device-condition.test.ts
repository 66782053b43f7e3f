import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DesiredDocument } from '../../../specs/wire/desired.js';
import type { PackageReport } from '../../../specs/wire/heartbeat.js';
import { deviceCondition, type ObservedDevice } from '../../../reconciler/status/device-condition.js';

const doc: DesiredDocument = {
  heartbeatMs: 60_000,
  packages: [
    { name: 'web', version: '1.0.0', artifact: { url: 'http://x/web.tgz', via: 'upstream' }, state: 'started', control: { script: 'control', timeoutMs: 1000 }, run: null, pidFile: null, keepVersions: 2 },
    { name: 'old', version: '0.1.0', artifact: { url: 'http://x/old.tgz', via: 'upstream' }, state: 'absent', control: { script: 'control', timeoutMs: 1000 }, run: null, pidFile: null, keepVersions: 2 },
  ],
  commands: [{ id: 'clean@abc', name: 'clean', hash: 'abc', run: 'true', timeoutMs: 1000, user: null, env: null, workdir: null, repeat: null, origin: 'approved' }],
};
const desired = { etag: 'E2', document: doc };
const settings = { heartbeatMs: 60_000, offlineAfter: 3 };
const NOW = 1_000_000_000;
const web = (over: Partial<PackageReport> = {}): PackageReport => ({ name: 'web', version: '1.0.0', state: 'started', phase: 'idle', ...over });
const obs = (over: Partial<ObservedDevice> = {}): ObservedDevice => ({ lastSeen: NOW - 1000, etag: 'E2', appliedEtag: 'E2', packages: [web()], commands: [], ...over });

const cases: { name: string; desired?: typeof desired | null; observed: ObservedDevice; want: [string, string]; message?: RegExp }[] = [
  { name: 'converged', observed: obs(), want: ['InSync', 'Converged'] },
  { name: 'never seen', observed: obs({ lastSeen: null }), want: ['Offline', 'NeverSeen'] },
  { name: 'silent for more than 3 intervals', observed: obs({ lastSeen: NOW - 181_000 }), want: ['Offline', 'HeartbeatMissed'], message: /3m1s/ },
  { name: 'silent for exactly 3 intervals is still online', observed: obs({ lastSeen: NOW - 180_000 }), want: ['InSync', 'Converged'] },
  { name: 'offline wins over failed', observed: obs({ lastSeen: NOW - 500_000, packages: [web({ state: 'failed' })] }), want: ['Offline', 'HeartbeatMissed'] },
  { name: 'agent holds an old document', observed: obs({ etag: 'E1', appliedEtag: 'E1' }), want: ['Progressing', 'NotFetched'] },
  { name: 'agent applying the current document', observed: obs({ appliedEtag: 'E1' }), want: ['Progressing', 'Applying'] },
  { name: 'package failed', observed: obs({ appliedEtag: 'E1', packages: [web({ state: 'failed', error: 'control start exited 1', targetVersion: '1.0.0' })] }), want: ['Failed', 'PackageFailed'], message: /web 1\.0\.0 failed: control start exited 1/ },
  { name: 'rolled back with an error', observed: obs({ packages: [web({ phase: 'rolledBack', error: 'health check failed' })] }), want: ['Failed', 'PackageFailed'] },
  { name: 'current command failed', observed: obs({ commands: [{ id: 'clean@abc', name: 'clean', status: 'failed', exitCode: 2 }] }), want: ['Failed', 'CommandFailed'], message: /clean@abc failed with exit code 2/ },
  { name: 'current command timed out', observed: obs({ commands: [{ id: 'clean@abc', name: 'clean', status: 'timedOut' }] }), want: ['Failed', 'CommandTimedOut'], message: /clean@abc timed out/ },
  { name: 'failed command of an older document is history', observed: obs({ commands: [{ id: 'clean@old', name: 'clean', status: 'failed', exitCode: 1 }] }), want: ['InSync', 'Converged'] },
  { name: 'applied but the process stopped', observed: obs({ packages: [web({ state: 'stopped' })] }), want: ['Progressing', 'Drifted'], message: /web/ },
  { name: 'applied but an absent package is still there', observed: obs({ packages: [web(), { name: 'old', version: '0.1.0', state: 'started', phase: 'idle' }] }), want: ['Progressing', 'Drifted'], message: /old/ },
  { name: 'no revision yet', desired: null, observed: obs(), want: ['Progressing', 'NoRevision'] },
];

for (const c of cases) {
  test(`deviceCondition: ${c.name}`, () => {
    const got = deviceCondition(c.desired === undefined ? desired : c.desired, c.observed, NOW, settings);
    assert.deepEqual([got.condition, got.reason], c.want);
    if (c.message) assert.match(got.message, c.message);
  });
}
