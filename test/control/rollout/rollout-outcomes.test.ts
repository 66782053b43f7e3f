import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandOutcome, commandStatusIn, packageOutcome } from '../../../control/rollout/rollout-outcomes.js';
import type { DesiredPackage } from '../../../specs/wire/desired.js';
import type { PackageReport } from '../../../specs/wire/heartbeat.js';

describe('commandOutcome', () => {
  const table: [string | undefined, string | undefined][] = [
    [undefined, undefined], ['succeeded', 'succeeded'], ['skipped', 'succeeded'], ['failed', 'failed'], ['interrupted', 'failed'],
    ['timedOut', 'timedOut'], ['running', 'running'], ['pending', 'pending'],
  ];
  for (const [status, want] of table) it(`${status} → ${want}`, () => assert.equal(commandOutcome(status), want));

  it('finds the identity, or any identity of the name when it depends on the device', () => {
    const summary = [{ id: 'a@1', name: 'a', status: 'failed' }, { id: 'b@2', name: 'b', status: 'succeeded' }];
    assert.equal(commandStatusIn(summary, 'b@2', 'b', false), 'succeeded');
    assert.equal(commandStatusIn(summary, 'a@9', 'a', false), undefined);
    assert.equal(commandStatusIn(summary, 'a@9', 'a', true), 'failed');
  });
});

describe('packageOutcome', () => {
  const want = { name: 'svc', version: '2.0', state: 'started' } as DesiredPackage;
  const r = (over: Partial<PackageReport>): PackageReport => ({ name: 'svc', version: '1.0', state: 'started', phase: 'idle', ...over });
  const table: [string, PackageReport[], DesiredPackage, string | undefined][] = [
    ['no report yet', [], want, undefined],
    ['absent wanted and not installed', [], { ...want, state: 'absent' }, 'succeeded'],
    ['still on the old version', [r({})], want, 'pending'],
    ['installing', [r({ phase: 'downloading', targetVersion: '2.0' })], want, 'running'],
    ['running the new version', [r({ version: '2.0' })], want, 'succeeded'],
    ['new version stopped but wanted started', [r({ version: '2.0', state: 'stopped' })], want, 'pending'],
    ['stopped as wanted', [r({ version: '2.0', state: 'stopped' })], { ...want, state: 'stopped' }, 'succeeded'],
    ['failed on the new version', [r({ version: '2.0', state: 'failed', error: 'x' })], want, 'failed'],
    ['rolled back from the new version', [r({ phase: 'rolledBack', targetVersion: '2.0', error: 'START_FAILED: …' })], want, 'failed'],
    ['waiting to retry the new version', [r({ phase: 'waiting', targetVersion: '2.0', error: 'DOWNLOAD_FAILED' })], want, 'failed'],
    ['an old failure of another version does not count', [r({ phase: 'rolledBack', targetVersion: '1.5', error: 'old' })], want, 'running'],
  ];
  for (const [name, reports, w, expected] of table) it(name, () => assert.equal(packageOutcome(reports, w), expected));
});

describe('statusInSummary', async () => {
  const { statusInSummary } = await import('../../../reconciler/rollouts/outcome-reader.js');
  const summary = JSON.stringify([{ id: 'a@1', name: 'a', status: 'failed', exitCode: 1 }, { id: 'b@2', name: 'b', status: 'succeeded', exitCode: 0, finishedAt: null }]);
  it('finds a status without parsing', () => {
    assert.equal(statusInSummary(summary, 'b@2'), 'succeeded');
    assert.equal(statusInSummary(summary, 'a@1'), 'failed');
    assert.equal(statusInSummary(summary, 'c@3'), undefined);
  });
  it('falls back to parsing another shape', () => {
    assert.equal(statusInSummary(JSON.stringify([{ status: 'running', id: 'b@2' }]), 'b@2'), 'running');
    assert.equal(statusInSummary(JSON.stringify([{ id: 'b@2', name: 'b' }, { id: 'x', status: 'failed' }]), 'b@2'), undefined);
  });
});
