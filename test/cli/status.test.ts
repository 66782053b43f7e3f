// drover status against a real meta process, and the table formatter.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ago, formatStatusTable } from '../../cli/status-table.js';
import { copyExampleFleet, heartbeatBody, postHeartbeat, ROOT, startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';

let fleet: string;
let meta: MetaHandle;
before(async () => {
  fleet = copyExampleFleet();
  meta = await startMetaInProcess({ repo: fleet });
  const first = await postHeartbeat(meta.url, meta.agentToken, heartbeatBody('dev-003'));
  await postHeartbeat(meta.url, meta.agentToken, heartbeatBody('dev-003', { etag: first.body.etag, appliedEtag: first.body.etag, packages: [{ name: 'hello-service', version: '1.0.0', state: 'started' }] }));
  await postHeartbeat(meta.url, meta.agentToken, heartbeatBody('dev-001', { packages: [{ name: 'hello-service', version: null, state: 'failed', error: 'download failed' }] }));
});
after(async () => {
  await meta.stop();
  rmSync(fleet, { recursive: true, force: true });
});

function drover(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('drover status prints the fleet as a table', async () => {
  const res = await drover(['status', '--meta', meta.url], { DROVER_ADMIN_TOKEN: meta.adminToken });
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout.trim().split('\n');
  assert.match(lines[0]!, /^revision dir-[0-9a-f]{8}.*1 InSync, 0 Progressing, 1 Failed, 1 Offline/);
  assert.match(lines[1]!, /^DEVICE\s+CONDITION\s+REASON\s+REVISION\s+LAST SEEN\s+AGENT\s+DRIFT$/);
  assert.match(res.stdout, /dev-001\s+Failed\s+PackageFailed\s+-\s+\d+s ago\s+\S+\s+2/);
  assert.match(res.stdout, /dev-002\s+Offline\s+NeverSeen\s+-\s+never\s+-\s+2/);
  assert.match(res.stdout, /dev-003\s+InSync\s+Converged\s+dir-[0-9a-f]{8}\s+\d+s ago\s+\S+\s+0/);
});

test('drover status --json with a condition filter', async () => {
  const res = await drover(['status', '--meta', meta.url, '--json', '--condition', 'Failed'], { DROVER_ADMIN_TOKEN: meta.adminToken });
  assert.equal(res.code, 0, res.stderr);
  const body = JSON.parse(res.stdout);
  assert.deepEqual(body.devices.map((d: { id: string }) => d.id), ['dev-001']);
  assert.equal(body.status.devices.byCondition.Failed, 1);
});

test('drover status with a wrong token says so', async () => {
  const res = await drover(['status', '--meta', meta.url, '--admin-token', 'wrong-token-wrong-token']);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /401/);
});

test('formatStatusTable aligns columns', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  const out = formatStatusTable([{ id: 'a', condition: 'InSync', reason: 'Converged', revision: '0123456789abcdef', lastSeen: '2026-01-01T00:09:30Z', drift: 0, agentVersion: '0.2.0' }], now);
  assert.equal(out, 'DEVICE  CONDITION  REASON     REVISION      LAST SEEN  AGENT  DRIFT\na       InSync     Converged  0123456789ab  30s ago    0.2.0  0\n');
  assert.equal(ago('2026-01-01T00:00:00Z', now), '10m ago');
  assert.equal(ago(null, now), 'never');
});
