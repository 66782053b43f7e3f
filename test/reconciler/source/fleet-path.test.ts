// --path: the fleet kept in a subfolder of a larger repository, read by meta from a directory, and
// checked in meta's and jump's configuration (git sources read the same subtree: lib/fleet-repo).
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadJumpConfig } from '../../../jump/config.js';
import { loadMetaConfig } from '../../../reconciler/config.js';
import { ADMIN_TOKEN, AGENT_TOKEN, getJson, ROOT, startMetaInProcess } from '../../helpers/meta-process.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-fleet-path-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('meta --path reads the fleet from a subfolder of a directory', async () => {
  const repo = join(tmp, 'monorepo');
  mkdirSync(join(repo, 'ops'), { recursive: true });
  cpSync(join(ROOT, 'examples/fleet'), join(repo, 'ops/fleet'), { recursive: true });
  writeFileSync(join(repo, 'README.md'), 'not a fleet file\n');
  const meta = await startMetaInProcess({ repo, args: ['--path', 'ops/fleet'] });
  try {
    const status = await getJson(meta.url, '/v1/status', meta.adminToken);
    assert.equal(status.status, 200);
    assert.match(status.body.revision, /^dir-/);
    assert.equal(status.body.rejected, null);
    const devices = await getJson(meta.url, '/v1/devices', meta.adminToken);
    assert.deepEqual(devices.body.items.map((d: { id: string }) => d.id), ['dev-001', 'dev-002', 'dev-003']);
  } finally {
    await meta.stop();
  }
});

test('--path must be a folder inside the repository (meta and jump)', () => {
  const base = ['--repo', tmp, '--agent-token', AGENT_TOKEN, '--admin-token', ADMIN_TOKEN];
  assert.equal(loadMetaConfig([...base, '--path', './ops/fleet/'], {}).config!.path, './ops/fleet/');
  for (const bad of ['../elsewhere', '/etc', 'ops/../../x']) {
    assert.throws(() => loadMetaConfig([...base, '--path', bad], {}), /--path: must be a folder inside the repository/);
    assert.throws(() => loadJumpConfig(['--repo', tmp, '--path', bad], {}), /--path: must be a folder inside the repository/);
  }
  assert.equal(loadJumpConfig(['--repo', tmp, '--path', 'ops/fleet'], {}).config!.repoPath, 'ops/fleet');
});
