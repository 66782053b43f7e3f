// `drover meta` as a real process: it starts, answers, stops on SIGTERM, and after a restart
// the devices and their last reports are there at once.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { copyExampleFleet, getJson, heartbeatBody, postHeartbeat, ROOT, startMetaProcess } from '../helpers/meta-process.js';

const fleet = copyExampleFleet();
const dataDirs: string[] = [];
after(() => {
  rmSync(fleet, { recursive: true, force: true });
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

test('drover meta --help explains every option', () => {
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'meta', '--help'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(res.status, 0);
  for (const flag of ['--repo', '--branch', '--listen', '--data', '--agent-token', '--admin-token', '--webhook-secret', '--fetch-interval', '--config']) {
    assert.match(res.stdout, new RegExp(`${flag} `), flag);
  }
  assert.match(res.stdout, /DROVER_META_AGENT_TOKEN/);
});

test('drover meta refuses a bad configuration with a clear error', () => {
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'meta', '--repo', fleet, '--admin-token', 'x'.repeat(20)], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DROVER_AGENT_TOKEN: '' } });
  assert.equal(res.status, 2);
  assert.match(res.stderr, /--agent-token is required/);
});

test('devices and their reports survive a restart', async () => {
  const first = await startMetaProcess({ repo: fleet });
  dataDirs.push(first.dataDir);
  try {
    const a = await postHeartbeat(first.url, first.agentToken, heartbeatBody('dev-001'));
    assert.equal(a.status, 200);
    const report = heartbeatBody('dev-001', {
      etag: a.body.etag,
      appliedEtag: a.body.etag,
      packages: [{ name: 'hello-service', version: '1.0.0', state: 'failed', phase: 'idle', error: 'control start exited 7' }],
      commands: [{ id: 'disk-report@x', name: 'disk-report', status: 'succeeded', exitCode: 0, outputTail: '/dev/sda1 10G' }],
    });
    assert.equal((await postHeartbeat(first.url, first.agentToken, report)).status, 200);
  } finally {
    await first.stop({ keepData: true });
  }
  assert.match(first.output(), /meta stopped/);

  const second = await startMetaProcess({ repo: fleet, dataDir: first.dataDir });
  try {
    const list = await getJson(second.url, '/v1/devices?condition=Failed', second.adminToken);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items.map((d: { id: string }) => d.id), ['dev-001']);
    const dev = await getJson(second.url, '/v1/devices/dev-001', second.adminToken);
    assert.equal(dev.body.reason, 'PackageFailed');
    assert.match(dev.body.message, /control start exited 7/);
    assert.equal(dev.body.packages.find((p: { name: string }) => p.name === 'hello-service').reported.state, 'failed');
    assert.equal(dev.body.commands.find((c: { id: string }) => c.id === 'disk-report@x').outputTail, '/dev/sda1 10G');
    assert.ok(dev.body.history.some((h: { condition: string }) => h.condition === 'Failed'));
  } finally {
    await second.stop();
  }
});
