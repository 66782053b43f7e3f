import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentReport, splitAgentPackage } from '../../../agent/self-update/agent-package.js';
import type { DesiredDocument, DesiredPackage } from '../../../specs/wire/desired.js';

const pkg = (name: string, kind?: 'agent'): DesiredPackage => ({
  name, ...(kind ? { kind } : {}), version: '1', artifact: { url: 'http://a/x', sha256: 'a'.repeat(64), via: 'upstream' },
  state: 'started', control: null, run: null, pidFile: null, keepVersions: 2,
});
const doc = (packages: DesiredPackage[]): DesiredDocument => ({ packages, commands: [] }) as unknown as DesiredDocument;

test('the agent package goes to the self-updater, the others to the converger', () => {
  const plain = doc([pkg('app')]);
  assert.deepEqual(splitAgentPackage(plain), { document: plain, agent: null });
  const both = splitAgentPackage(doc([pkg('app'), pkg('drover-agent', 'agent')]));
  assert.deepEqual(both.document.packages.map((p) => p.name), ['app']);
  assert.equal(both.agent?.name, 'drover-agent');
});

test('the agent reports the version it runs, and an upgrade under way or rolled back', () => {
  const cases: Array<[Parameters<typeof agentReport>, Record<string, unknown>]> = [
    [['drover-agent', '1.0', 'idle', null, null], { name: 'drover-agent', version: '1.0', state: 'started', phase: 'idle' }],
    [['drover-agent', '1.0', 'downloading', '1.1', null], { name: 'drover-agent', version: '1.0', state: 'started', phase: 'downloading', targetVersion: '1.1' }],
    [['drover-agent', '1.0', 'rolledBack', '1.1', 'boom'], { name: 'drover-agent', version: '1.0', state: 'started', phase: 'rolledBack', targetVersion: '1.1', error: 'boom' }],
  ];
  for (const [args, want] of cases) assert.deepEqual(agentReport(...args), want);
});
