import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDesired, isContainedPath } from '../../agent/check-desired.js';
import type { DesiredDocument, DesiredPackage } from '../../specs/wire/desired.js';

const pkg = (over: Partial<DesiredPackage>): DesiredPackage => ({
  name: 'app', version: '1.0', artifact: { url: 'http://x/a.tar.gz', sha256: 'a'.repeat(64), via: 'upstream' }, state: 'started',
  control: { script: 'control', timeoutMs: 1000 }, run: null, pidFile: null, keepVersions: 2, ...over,
});
const doc = (...packages: DesiredPackage[]): DesiredDocument => ({ packages, commands: [], heartbeatMs: 1000 });

describe('checkDesired', () => {
  const cases: [string, DesiredPackage[], RegExp | null][] = [
    ['a normal package', [pkg({})], null],
    ['a nested control script and pid file', [pkg({ control: { script: 'bin/ctl', timeoutMs: 1 }, pidFile: 'var/app.pid' })], null],
    ['a run command on the PATH or in the folder', [pkg({ control: null, run: { command: ['./srv', '--port', '1'], stopGraceMs: 1, restartBackoffMs: 1, maxRestartBackoffMs: 1 } })], null],
    ['a name that climbs out', [pkg({ name: '../etc' })], /unsafe name/],
    ['a version that climbs out', [pkg({ version: '..' })], /unsafe version/],
    ['a version named current', [pkg({ version: 'current' })], /unsafe version/],
    ['an absolute control script', [pkg({ control: { script: '/bin/sh', timeoutMs: 1 } })], /control script/],
    ['a control script with ..', [pkg({ control: { script: 'bin/../../x', timeoutMs: 1 } })], /control script/],
    ['a pid file outside', [pkg({ pidFile: '../../run/x.pid' })], /pidFile/],
    ['a run command outside', [pkg({ control: null, run: { command: ['../../bin/x'], stopGraceMs: 1, restartBackoffMs: 1, maxRestartBackoffMs: 1 } })], /run command/],
    ['a package twice', [pkg({}), pkg({})], /listed twice/],
    ['no checksum', [pkg({ artifact: { url: 'http://x', via: 'upstream' } })], /checksum/],
  ];
  for (const [name, packages, want] of cases) {
    it(name, () => {
      const problems = checkDesired(doc(...packages));
      if (want === null) assert.deepEqual(problems, []);
      else assert.ok(problems.some((p) => want.test(p)), problems.join('; '));
    });
  }
  it('isContainedPath', () => {
    assert.deepEqual(['a', 'a/b', './a', 'a/../b', '/a', '..', ''].map(isContainedPath), [true, true, true, false, false, false, false]);
  });
});
