import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandDeviceResult } from '../../../control/commands-api.js';
import { judgeTrials } from '../../../control/promote/trial-results.js';
import { parseRolloutFlags, parseSelectFlags } from '../../../control/promote/parse-promote-flags.js';
import { mergeRepeated } from '../../../cli/promote.js';

const row = (deviceId: string, status: CommandDeviceResult['status'], over: Partial<CommandDeviceResult> = {}): CommandDeviceResult => ({
  deviceId, id: 'c@1', name: 'c', status, exitCode: status === 'succeeded' ? 0 : status === 'failed' ? 2 : null, signal: null,
  startedAt: null, finishedAt: null, durationMs: 1200, outputTail: '', truncated: false, revision: 'r1', reportedAt: '2026-01-01T00:00:00Z', ...over,
});

describe('judgeTrials', () => {
  const cases: { name: string; rows: CommandDeviceResult[]; devices: string[]; identity?: string | null; objections: RegExp[] }[] = [
    { name: 'all succeeded', rows: [row('a', 'succeeded'), row('b', 'succeeded')], devices: ['a', 'b'], objections: [] },
    { name: 'one failed', rows: [row('a', 'succeeded'), row('b', 'failed')], devices: ['a', 'b'], objections: [/^b: failed, exit 2, 1\.2s$/] },
    { name: 'timed out', rows: [row('a', 'timedOut', { signal: 'SIGKILL' })], devices: ['a'], objections: [/^a: timedOut, signal SIGKILL/] },
    { name: 'interrupted', rows: [row('a', 'interrupted')], devices: ['a'], objections: [/^a: interrupted/] },
    { name: 'no result', rows: [row('a', 'succeeded')], devices: ['a', 'b'], objections: [/^b: no result for c@1/] },
    { name: 'still running', rows: [row('a', 'running')], devices: ['a'], objections: [/^a: still running/] },
    { name: 'a result of another identity does not count', rows: [row('a', 'succeeded', { id: 'c@0' })], devices: ['a'], objections: [/no result/] },
    { name: 'any identity counts when it depends on the device', rows: [row('a', 'succeeded', { id: 'c@0' })], devices: ['a'], identity: null, objections: [] },
    {
      name: 'the newest finished result wins',
      rows: [row('a', 'failed', { reportedAt: '2026-01-01T00:00:00Z' }), row('a', 'succeeded', { reportedAt: '2026-01-02T00:00:00Z' })],
      devices: ['a'],
      objections: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = judgeTrials('c', c.identity === undefined ? 'c@1' : c.identity, c.devices, c.rows);
      assert.equal(v.objections.length, c.objections.length, v.objections.join('; '));
      c.objections.forEach((re, i) => assert.match(v.objections[i]!, re));
      assert.deepEqual(v.results.map((r) => r.deviceId), c.devices);
    });
  }
});

describe('promote flags', () => {
  it('parses selectors', () => {
    assert.equal(parseSelectFlags([]), undefined);
    assert.deepEqual(parseSelectFlags(['role=web', 'site=bj']), { labels: { role: 'web', site: 'bj' } });
    assert.deepEqual(parseSelectFlags(['id=web-*', 'role=web']), { ids: ['web-*'], labels: { role: 'web' } });
    assert.throws(() => parseSelectFlags(['role']), /key=value/);
    assert.throws(() => parseSelectFlags(['role=web', 'role=db']), /two values/);
  });
  it('parses rollouts', () => {
    assert.deepEqual(parseRolloutFlags(['1', '10%', '100%'], 2), { steps: [1, '10%', '100%'], maxFailures: 2 });
    assert.throws(() => parseRolloutFlags(['10%', '5%'], 0), /increase/);
    assert.throws(() => parseRolloutFlags(['ten'], 0), /device count/);
    assert.throws(() => parseRolloutFlags(['1'], -1), /max-failures/);
  });
  it('merges repeated --from and --select', () => {
    assert.deepEqual(mergeRepeated(['x', '--from', 'a', '--from=b', '--force', '--select', 'r=w']), ['x', '--force', '--from', 'a,b', '--select', 'r=w']);
  });
});
