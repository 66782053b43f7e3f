import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyCounts, type CommandListResponse } from '../../control/commands-api.js';
import { formatCommandsTable } from '../../cli/status-commands.js';

test('the commands table: one row per identity, and paused rollouts with their failing devices', () => {
  const list: CommandListResponse = {
    revision: '0123456789abcdef',
    commands: [
      { id: 'disk-report@aaaaaaaaaaaa', name: 'disk-report', origin: 'override', revisions: ['0123456789abcdef'], devices: 1, counts: { ...emptyCounts(), succeeded: 1 }, byRevision: [], rollout: null },
      {
        id: 'clean-tmp@bbbbbbbbbbbb', name: 'clean-tmp', origin: 'approved', revisions: [], devices: 1, counts: { ...emptyCounts(), failed: 1, pending: 2 }, byRevision: [],
        rollout: {
          key: 'command:clean-tmp@bbbbbbbbbbbb', kind: 'command', name: 'clean-tmp', identity: 'clean-tmp@bbbbbbbbbbbb', revision: null, state: 'paused', pauseReason: 'failures',
          step: 0, steps: [{ step: 1, target: 1, released: 1, done: false }, { step: '100%', target: 3, released: 1, done: false }], maxFailures: 0, selected: 3, released: 1, succeeded: 0,
          failing: [{ deviceId: 'dev-002', status: 'failed', exitCode: 2, error: null, outputTail: 'line1\nfind: bad\n' }], waiting: 0,
        },
      },
    ],
  };
  const text = formatCommandsTable(list);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^revision 0123456789ab: 2 command identities$/);
  assert.match(lines[1]!, /^COMMAND +IDENTITY +ORIGIN +ROLLOUT +PENDING +RUNNING +SUCCEEDED +FAILED +TIMEDOUT$/);
  assert.match(lines[2]!, /^disk-report +aaaaaaaaaaaa +override +trial +0 +0 +1 +0 +0$/);
  assert.match(lines[3]!, /^clean-tmp +bbbbbbbbbbbb +approved +step 1\/2 \(1\/3\) paused +2 +0 +0 +1 +0$/);
  assert.match(text, /clean-tmp@bbbbbbbbbbbb: rollout paused after 1 failure \(maxFailures 0\); resume: drover rollouts resume command:clean-tmp@bbbbbbbbbbbb \(or a new commit\)/);
  assert.match(text, /  dev-002: failed exit 2\n    \| line1\n    \| find: bad\n/);
});
